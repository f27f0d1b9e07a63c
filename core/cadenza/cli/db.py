"""``cadenza db``: show and migrate the schema revision of the run record, or of a server's
database given with ``--database-url`` (e.g. ``postgresql+psycopg://...``); ``db doctor``
(`cadenza.cli.doctor`) checks what needs attention."""

from __future__ import annotations

import click

from cadenza.cli._common import die
from cadenza.cli.doctor import doctor

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import ModuleType
    from typing import TypeVar

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
    """Inspect and migrate the run record ($CADENZA_HOME/cadenza.db) or a server's database."""


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


__all__ = ["URL_OPTION", "db", "downgrade", "revision", "upgrade"]
