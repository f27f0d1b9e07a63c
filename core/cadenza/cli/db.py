"""``cadenza db``: show and migrate the schema revision of the run record, or of a server's
database given with ``--database-url`` (e.g. ``postgresql+psycopg://...``); ``db doctor``
(`cadenza.cli.doctor`) checks what needs attention; ``db clean`` applies the retention
settings and ``db stats`` shows the tables' sizes."""

from __future__ import annotations

import click

from cadenza.cli._common import USAGE_ERROR, die
from cadenza.cli.doctor import doctor

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import ModuleType
    from typing import TypeVar

    from cadenza.store.sql import SqlDatabase

    T = TypeVar("T")


def _path_and_modules() -> tuple[Path, ModuleType]:
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.store import database

    return database.default_db_path(), database


URL_OPTION = click.option(
    "--database-url",
    envvar="CADENZA_DATABASE_URL",
    default=None,
    help="A server's database (SQLAlchemy URL) instead of the run record.",
)


def _server_url(url: str | None) -> Path | None:
    """The ``sqlite://`` file's path or None for another database; exits on a bad URL."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import StoreError
    from cadenza.store import urls as schema

    try:
        return schema.sqlite_path(url) if url else None
    except StoreError as exc:
        die(str(exc))


def _on_url(url: str, action: Callable[[], T]) -> T:
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import StoreError

    try:
        return action()
    except StoreError as exc:
        die(str(exc))


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.group()
def db() -> None:
    """Inspect, migrate and clean the run record ($CADENZA_HOME/cadenza.db) or a server's
    database."""


db.add_command(doctor)


@db.command("revision")
@URL_OPTION
def revision(database_url: str | None) -> None:
    """Print the record's schema revision and the newest one this cadenza knows."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import StoreError

    path, database = _path_and_modules()
    if database_url and _server_url(database_url) is None:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store import urls as schema

        current = _on_url(database_url, lambda: schema.url_revision(database_url))
        click.echo(f"url: {_shown(database_url)}")
        click.echo(f"current: {current or 'none'}")
        click.echo(f"head: {database.HEAD_REVISION}")
        return
    path = _server_url(database_url) or path
    try:
        current = database.current_revision(path)
    except StoreError as exc:
        die(str(exc))
    click.echo(f"path: {path}")
    click.echo(f"current: {current or 'none'}")
    click.echo(f"head: {database.HEAD_REVISION}")


@db.command("upgrade")
@click.argument("target", default="head", metavar="[REVISION]")
@URL_OPTION
def upgrade(target: str, database_url: str | None) -> None:
    """Upgrade the record to REVISION (default: head), creating it if missing."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import StoreError

    path, database = _path_and_modules()
    if database_url and _server_url(database_url) is None:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store import urls as schema

        now = _on_url(database_url, lambda: schema.migrate_url(database_url, "upgrade", target))
        click.echo(f"{_shown(database_url)} is at revision {now}")
        return
    path = _server_url(database_url) or path
    try:
        database.upgrade(path, target)
        click.echo(f"{path} is at revision {database.current_revision(path)}")
    except StoreError as exc:
        die(str(exc))


@db.command("downgrade")
@click.argument("target", metavar="REVISION")
@URL_OPTION
def downgrade(target: str, database_url: str | None) -> None:
    """Downgrade the record to REVISION ('base' removes every table).

    Destructive: columns and tables added after REVISION are dropped with their data.
    """
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import StoreError

    path, database = _path_and_modules()
    if database_url and _server_url(database_url) is None:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store import urls as schema

        now = _on_url(database_url, lambda: schema.migrate_url(database_url, "downgrade", target))
        click.echo(f"{_shown(database_url)} is at revision {now or 'none'}")
        return
    path = _server_url(database_url) or path
    try:
        database.downgrade(path, target)
        click.echo(f"{path} is at revision {database.current_revision(path) or 'none'}")
    except StoreError as exc:
        die(str(exc))


def _open_database(database_url: str | None, reap: bool = False) -> SqlDatabase:
    """The run record (or the database at `database_url`), which must exist at the head
    revision; exits with a one-line error otherwise. `reap`: first mark the record's runs
    whose process died Crashed (final: retention may delete them)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.store import urls as schema
    from cadenza.store.sql import SqlDatabase

    path, database = _path_and_modules()
    if database_url and _server_url(database_url) is None:
        current = _on_url(database_url, lambda: schema.url_revision(database_url))
        where = _shown(database_url)
        url = database_url
    else:
        path = _server_url(database_url) or path
        if not path.exists():
            die(f"There is no run record at {path}")
        current = _on_url(str(path), lambda: database.current_revision(path))
        where, url = str(path), f"sqlite:///{path}"
        if reap and not database_url and current == database.HEAD_REVISION:
            # lazily: a command's dependencies load when it runs, not for `cadenza --help`
            from cadenza.backends.recovery import reap_dead_runs

            conn = database.connect(path)
            try:
                reap_dead_runs(conn)
            finally:
                conn.close()
    if current != database.HEAD_REVISION:
        flag = f" --database-url {where}" if database_url else ""
        die(f"{where} is at schema revision {current or 'none'}, not {database.HEAD_REVISION}; "
            f"run `cadenza db upgrade{flag}` first")  # fmt: skip
    return SqlDatabase(url, busy_timeout=60.0)


@db.command("clean")
@URL_OPTION
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@click.option("--results", is_flag=True,
              help="Delete the result files of the deleted runs too.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def clean(database_url: str | None, dry_run: bool, results: bool, as_json: bool) -> None:
    """Apply the retention settings (CADENZA_RETENTION_*) now: delete the flow runs, log lines,
    events and artifacts older than their TTLs, a batch at a time (writers keep going).
    Nothing of a run that is not in a final state is deleted."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    import json

    from cadenza.store import retention

    try:
        policy = retention.policy_from_settings()
    except ValueError as exc:
        die(str(exc), USAGE_ERROR)
    store = _open_database(database_url, reap=True)
    try:
        answer = retention.clean(store, policy, dry_run=dry_run, results=results)
    finally:
        store.close()
    removed = None
    if results and not dry_run:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.results.discard import delete_results

        removed = delete_results(answer["result_refs"])
    if as_json:
        shown = {k: v for k, v in answer.items() if k != "result_refs"}
        if removed is not None:
            shown["result_files"] = removed
        click.echo(json.dumps(shown, indent=2))
        return
    if not policy:
        click.echo("Every retention setting is off (CADENZA_RETENTION_*): nothing to delete.")
        return
    for table, seconds in policy.items():
        click.echo(f"{table}: kept {_age(seconds)}")
    verb = "would delete" if dry_run else "deleted"
    counts = {t: n for t, n in answer["deleted"].items() if n}
    shown_counts = ", ".join(f"{n} {t}" for t, n in counts.items()) or "nothing"
    click.echo(f"Retention {verb} {shown_counts}.")
    if answer["skipped"]:
        click.echo(f"Left {len(answer['skipped'])} flow run(s) with a subflow run not finished.")
    if removed is not None:
        click.echo(f"Deleted {removed['deleted']} result file(s); left {len(removed['refused'])}.")


@db.command("stats")
@URL_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def stats(database_url: str | None, as_json: bool) -> None:
    """Show each table's row count and size on disk (indexes included)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    import json

    from cadenza.cli._common import plain_table
    from cadenza.store.table_stats import table_stats

    store = _open_database(database_url)
    try:
        figures = table_stats(store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    rows: list[tuple[str, ...]] = [
        (t["table"], str(t["rows"]), _size(t["bytes"])) for t in figures["tables"]
    ]
    plain_table(rows, ("table", "rows", "size"))
    whole = figures["database"]
    free = "" if whole["free_bytes"] is None else f" ({_size(whole['free_bytes'])} free)"
    click.echo(f"database: {_size(whole['bytes'])}{free}")


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    if value < 1024:
        return f"{value} B"
    size, unit = value / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.1f} {unit}"


def _age(seconds: float) -> str:
    for unit, length in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= length and seconds % length == 0:
            return f"{int(seconds // length)}{unit}"
    return f"{seconds:g}s"


__all__ = ["URL_OPTION", "clean", "db", "downgrade", "revision", "stats", "upgrade"]
