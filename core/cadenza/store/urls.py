"""Which database a SQLAlchemy-opened record (the server's, the scheduler's) uses, and bringing
its schema to the head revision.

A SQLite URL names a record file that the embedded backend may share, so it is migrated by
`cadenza.store.database.ensure_schema` (file lock, snapshot fast path). Any other URL
(``postgresql+psycopg://...``) is migrated with Alembic ``upgrade head`` over the same revisions.
Either way, a database at a revision this code does not know (written by a newer cadenza) is
refused with a `StoreError` naming both revisions.
"""

from __future__ import annotations

from pathlib import Path

from cadenza.exceptions import StoreError
from cadenza.store.database import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    default_db_path,
    ensure_schema,
    known_revisions,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection, Engine, TextClause


def default_database_url() -> str:
    """The embedded record's file: ``sqlite:///$CADENZA_HOME/cadenza.db``."""

    return f"sqlite:///{default_db_path()}"


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite://`` URL names, or None for another backend.

    Raises `StoreError` for a malformed URL or an in-memory SQLite database (the server's
    connections would each see a different, empty database).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"Invalid database URL: {exc}") from None
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise StoreError("An in-memory SQLite database cannot be served; name a file")
    return Path(parsed.database).expanduser()


def prepare(url: str) -> None:
    """Create or upgrade the schema at `url` to the head revision; refuse a newer database."""
    path = sqlite_path(url)
    if path is not None:
        ensure_schema(path)
        return
    _upgrade_url(url)


def _upgrade_url(url: str) -> None:
    migrate_url(url, "upgrade", "head")


def _engine(url: str) -> Engine:
    """A pool-less engine for ``url``; `StoreError` for a URL SQLAlchemy cannot use."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    try:
        return create_engine(url, poolclass=NullPool)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"Invalid database URL ({type(exc).__name__}: {exc})") from None


def url_revision(url: str) -> str | None:
    """The schema revision of the database at ``url`` (None: no schema yet)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return _revision(conn, text)
    except SQLAlchemyError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"Cannot read the database {shown}: {exc}") from None
    finally:
        engine.dispose()


def migrate_url(url: str, direction: str, target: str) -> str | None:
    """Run Alembic ``upgrade``/``downgrade`` to ``target`` on the database at ``url`` (any
    dialect) in one transaction; return the revision it is at afterwards. A database at a
    revision this code does not know is refused with a `StoreError` naming both."""
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    engine = _engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        with engine.begin() as conn:
            current = _revision(conn, text)
            if direction == "upgrade" and current == HEAD_REVISION and target in ("head", current):
                return current
            if current is not None and current not in known_revisions():
                raise StoreError(
                    f"The database {shown} is at schema revision {current!r}, which this "
                    f"version of cadenza does not know (its newest is {HEAD_REVISION!r}); it "
                    "was probably written by a newer cadenza. Upgrade cadenza on the server."
                )
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
            cfg.attributes["connection"] = conn
            getattr(command, direction)(cfg, target)
            return _revision(conn, text)
    except CommandError as exc:
        raise StoreError(f"Cannot {direction} the database {shown} to {target!r}: {exc}") from None
    except SQLAlchemyError as exc:
        raise StoreError(f"Cannot migrate the database {shown}: {exc}") from None
    finally:
        engine.dispose()


def _revision(conn: Connection, text: Callable[[str], TextClause]) -> str | None:
    from sqlalchemy import inspect

    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


__all__ = ["default_database_url", "migrate_url", "prepare", "sqlite_path", "url_revision"]
