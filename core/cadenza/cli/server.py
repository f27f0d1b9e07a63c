"""``cadenza server``: run the coordination server (docs/concepts/server.md; its API is
docs/reference/http-api.md)."""

from __future__ import annotations

import click

from cadenza.cli._common import die


@click.group()
def server() -> None:
    """Run the coordination server that flows report to over HTTP (CADENZA_API_URL)."""


@server.command("start")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=4200, show_default=True, type=click.IntRange(0, 65535))
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
def start(host: str, port: int, database_url: str | None, log_level: str) -> None:
    """Serve the API under /api until interrupted (Ctrl-C).

    Requires CADENZA_SERVER_API_KEY as a bearer token on every route but /api/health when set.
    """
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import StoreError
    from cadenza.store import urls as schema

    try:
        import uvicorn

        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.server.app import create_app
    except ImportError as exc:
        die(f"The server needs FastAPI and uvicorn ({exc}); install them with cadenza")
    url = database_url or schema.default_database_url()
    try:
        app = create_app(url)
    except StoreError as exc:
        die(str(exc))
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Cadenza server on http://{shown_host}:{port}/api (database {shown})")
    click.echo(f"Dashboard: http://{shown_host}:{port}/")
    click.echo(f"Point flows at it with: export CADENZA_API_URL=http://{shown_host}:{port}/api")
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


__all__ = ["server", "start"]
