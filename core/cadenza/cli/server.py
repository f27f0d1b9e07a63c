"""``cadenza server``: run the coordination server (docs/concepts/server.md; its API is
docs/reference/http-api.md).

The server's libraries (FastAPI, uvicorn, psycopg, prometheus-client) are the ``server`` extra,
not part of ``pip install cadenza``: without them ``server start`` says, in one line, what to
install.
The port is bound before anything is printed, so a busy port fails before the banner.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any, NoReturn

import click

from cadenza.cli._common import die

# the distributions `pip install 'cadenza[server]'` adds (top-level import names)
SERVER_MODULES = frozenset(
    {"fastapi", "starlette", "uvicorn", "psycopg", "psycopg_binary", "prometheus_client"}
)
INSTALL_HINT = "pip install 'cadenza[server]'"
# "address already in use" (Windows reports its own WSA code)
_ADDRESS_IN_USE = frozenset({errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)})


@click.group()
def server() -> None:
    """Run the coordination server that flows report to over HTTP (CADENZA_API_URL)."""


def missing_server_module(exc: BaseException) -> str | None:
    """The server library whose absence `exc` reports (itself or the error it was raised while
    handling, e.g. a `StoreError` for a database driver), or None for any other error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError):
            name = (seen.name or "").partition(".")[0]
            return name if name in SERVER_MODULES else None
        seen = seen.__cause__ or seen.__context__
    return None


def _die_missing(module: str) -> NoReturn:
    die(
        f"`cadenza server start` needs the server extra ({module} is not installed): {INSTALL_HINT}"
    )


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; a one-line error and exit status 1 when the
    address is taken or cannot be used (so nothing else has started or been printed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        die(f"Cannot listen on {host}:{port}: {exc.strerror or exc}")
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    if os.name != "nt":
        # a restarted server may reuse a port whose old connections linger in TIME_WAIT; a port
        # another process listens on is still refused (on Windows the option would allow that)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if isinstance(exc, PermissionError):
            die(f"Cannot listen on {host}:{port}: permission denied (a port below 1024?)")
        if exc.errno in _ADDRESS_IN_USE:
            die(
                f"Port {port} on {host} is already in use (another server?): stop it or choose "
                "another port with --port"
            )
        die(f"Cannot listen on {host}:{port}: {exc.strerror or exc}")
    return sock


@server.command("start")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=4200,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port to listen on (0: any free port, shown in the banner).",
)
@click.option(
    "--database-url",
    envvar="CADENZA_DATABASE_URL",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL: sqlite:///path/cadenza.db (default: $CADENZA_HOME/cadenza.db) "
    "or postgresql+psycopg://user:password@host/dbname. Env: CADENZA_DATABASE_URL.",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="uvicorn's log level.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Server processes sharing the port (PostgreSQL only: SQLite serves one process). "
    "Each serves the whole API; the scheduler, reaper, retention and automation services run "
    "in one of them at a time.",
)
def start(host: str, port: int, database_url: str | None, log_level: str, workers: int) -> None:
    """Serve the API under /api and the dashboard at / until interrupted (Ctrl-C).

    Needs the server extra: pip install 'cadenza[server]'. Requires CADENZA_SERVER_API_KEY as
    a bearer token on every route but /api/health when set.
    """
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import StoreError
    from cadenza.store import urls as schema

    try:
        # lazily: the server extra is optional; only this command needs it
        import uvicorn

        from cadenza.server.app import create_app
    except ImportError as exc:
        module = missing_server_module(exc)
        if module is None:
            raise
        _die_missing(module)
    url = database_url or schema.default_database_url()
    if workers > 1 and schema.sqlite_path(url) is not None:
        die(
            f"--workers {workers} needs PostgreSQL: a SQLite database is served by one server "
            "process (its writers take turns on one file). Use --database-url "
            "postgresql+psycopg://... or leave --workers at 1"
        )
    listener = bind_listener(host, port)
    try:
        if workers > 1:  # each process builds its own app; the parent only migrates
            schema.prepare(url)
        else:
            app = create_app(url)
    except (StoreError, ImportError) as exc:  # a StoreError may come of a missing psycopg
        listener.close()
        module = missing_server_module(exc)
        if module is not None:
            _die_missing(module)
        if isinstance(exc, ImportError):
            raise
        die(str(exc))
    # lazily: SQLAlchemy is loaded by create_app by now; only the banner's URL needs it here
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    bound = listener.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Cadenza server on http://{shown_host}:{bound}/api (database {shown})")
    click.echo(f"Dashboard: http://{shown_host}:{bound}/")
    click.echo(f"Point flows at it with: export CADENZA_API_URL=http://{shown_host}:{bound}/api")
    if workers > 1:
        click.echo(f"{workers} server processes share the port")
        _serve_processes(uvicorn, url, listener, log_level, workers)
    else:
        _serve(uvicorn, app, listener, log_level)


def _serve(uvicorn: Any, app: Any, listener: socket.socket, log_level: str) -> None:
    """Run uvicorn on the already-bound `listener` until a signal stops it; exit status 3 (as
    ``uvicorn.run``) when the application failed to start."""
    config = uvicorn.Config(app, log_level=log_level, access_log=False)
    runner = uvicorn.Server(config)
    try:
        runner.run(sockets=[listener])
    finally:
        listener.close()
    if not runner.started:
        raise click.exceptions.Exit(3)


def _serve_processes(
    uvicorn: Any, url: str, listener: socket.socket, log_level: str, workers: int
) -> None:
    """Run `workers` uvicorn processes on `listener` (uvicorn's supervisor restarts one that
    dies); each builds the app over `url` (`cadenza.server.app.app_from_environment`)."""
    # lazily: only a multi-process server needs uvicorn's supervisor
    from uvicorn.supervisors import Multiprocess

    os.environ["CADENZA_DATABASE_URL"] = url  # the processes are spawned: they read it there
    config = uvicorn.Config(
        "cadenza.server.app:app_from_environment",
        factory=True,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )
    try:
        Multiprocess(config, sockets=[listener]).run()
    finally:
        listener.close()


__all__ = ["bind_listener", "missing_server_module", "server", "start"]
