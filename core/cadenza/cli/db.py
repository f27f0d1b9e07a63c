"""``cadenza db``: show and migrate the run record's schema revision."""

from __future__ import annotations

import click

from cadenza.cli._common import die


def _path_and_modules():  # type: ignore[no-untyped-def]
    from cadenza.store import database

    return database.default_db_path(), database


@click.group()
def db() -> None:
    """Inspect and migrate the run record ($CADENZA_HOME/cadenza.db)."""


@db.command("revision")
def revision() -> None:
    """Print the record's schema revision and the newest one this cadenza knows."""
    from cadenza.exceptions import StoreError

    path, database = _path_and_modules()
    try:
        current = database.current_revision(path)
    except StoreError as exc:
        die(str(exc))
    click.echo(f"path: {path}")
    click.echo(f"current: {current or 'none'}")
    click.echo(f"head: {database.HEAD_REVISION}")


@db.command("upgrade")
@click.argument("target", default="head", metavar="[REVISION]")
def upgrade(target: str) -> None:
    """Upgrade the record to REVISION (default: head), creating it if missing."""
    from cadenza.exceptions import StoreError

    path, database = _path_and_modules()
    try:
        database.upgrade(path, target)
        click.echo(f"{path} is at revision {database.current_revision(path)}")
    except StoreError as exc:
        die(str(exc))


@db.command("downgrade")
@click.argument("target", metavar="REVISION")
def downgrade(target: str) -> None:
    """Downgrade the record to REVISION ('base' removes every table).

    Destructive: columns and tables added after REVISION are dropped with their data.
    """
    from cadenza.exceptions import StoreError

    path, database = _path_and_modules()
    try:
        database.downgrade(path, target)
        click.echo(f"{path} is at revision {database.current_revision(path) or 'none'}")
    except StoreError as exc:
        die(str(exc))
