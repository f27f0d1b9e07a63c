"""Opening the run record and keeping its schema current.

The record is one SQLite file (default ``$CADENZA_HOME/cadenza.db``). The engine writes it with the
standard-library ``sqlite3`` module. The layout is declared in `cadenza.store.tables`; the
Alembic revisions in ``cadenza/store/migrations`` bring a record to it, and a new record is
created from their snapshot (`cadenza.store.snapshot`). This module imports only the standard
library at import time: SQLAlchemy and Alembic are imported inside the functions that migrate,
which run only when the file is not already at `HEAD_REVISION`.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from cadenza._private import create_private, private_dir, tighten
from cadenza.exceptions import StoreError
from cadenza.settings import spec
from cadenza.store import snapshot

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

    from sqlalchemy import Connection

HEAD_REVISION = "0016"
"""The newest schema revision this code knows; equal to the Alembic script head (tested)."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_BUSY_TIMEOUT_MS = 60_000
_WAL_RETRY_SECONDS = 10.0


def default_db_path() -> Path:
    """The embedded record's path: ``$CADENZA_HOME/cadenza.db``; home defaults to ``~/.cadenza``."""

    return spec.home_from() / "cadenza.db"  # uncached: follows CADENZA_HOME as it is now


def record_files(path: Path) -> tuple[Path, ...]:
    """The record at `path` and its companions: WAL, shared memory, migration lock."""
    return (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", ".lock")))


def connect(path: Path) -> sqlite3.Connection:
    """Open the record at `path` for reading and writing; create its directory if needed.

    The connection is in autocommit mode (``isolation_level=None``: callers open transactions
    themselves with ``BEGIN IMMEDIATE``), may be used from any thread (callers serialise use),
    journals in WAL mode at `synchronous_level`, waits up to 60 s on a locked database, and
    returns rows as tuples. Raises `StoreError` if the file is not a SQLite database.
    This does not create or check the schema: call `ensure_schema` first.

    The record and its companions are private (`cadenza._private`): a new record is created
    0600 before SQLite opens it, since SQLite gives the ``-wal`` and ``-shm`` files the record's
    mode; an existing one is tightened to 0600.
    """
    path = Path(path)
    private_dir(path.parent)
    create_private(path)
    tighten(*record_files(path))
    conn = sqlite3.connect(
        str(path),
        timeout=_BUSY_TIMEOUT_MS / 1000,
        check_same_thread=False,
        isolation_level=None,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        _enable_wal(conn)
        conn.execute(f"PRAGMA synchronous={synchronous_level()}")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"Cannot open the run record {path}: {exc}") from None
    return conn


def synchronous_level() -> str:
    """SQLite's ``synchronous`` level for the record (`CADENZA_SQLITE_SYNCHRONOUS`).

    In WAL mode, ``NORMAL`` (the default) makes a commit durable against the process being
    killed — the WAL is written before the commit returns — and syncs to disk at checkpoints,
    so an operating-system crash or power cut can lose the last commits (never corrupt the
    file). ``FULL`` syncs the WAL at every commit as well: durable against a power cut, at one
    fsync per commit (a few milliseconds on most disks, on every batch the writer commits and
    on every flow run's start)."""

    return "FULL" if spec.get("CADENZA_SQLITE_SYNCHRONOUS").upper() == "FULL" else "NORMAL"


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL; the switch needs a moment of exclusive access, so retry while busy."""
    deadline = time.monotonic() + _WAL_RETRY_SECONDS
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def current_revision(path: Path) -> str | None:
    """The schema revision of the record at `path`, or None if it has no schema (or no file).

    Raises `StoreError` naming the path if the file exists but is not a SQLite database.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(str(path), timeout=_BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot open the run record {path}: {exc}") from None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise StoreError(f"Cannot read the run record {path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not a cadenza run record (not a SQLite database: {exc})"
        ) from None
    finally:
        conn.close()
    return row[0] if row else None


def ensure_schema(path: Path) -> None:
    """Make sure the record at `path` exists and is at `HEAD_REVISION`, migrating if needed.

    Fast path (one SELECT, no SQLAlchemy) when already current. Otherwise takes an exclusive
    lock on ``<path>.lock``, re-checks, and upgrades; safe to call from many processes at once.
    An older record is upgraded in place, keeping its rows. Raises `StoreError` if the file is
    not a SQLite database or carries a revision this code does not know (a newer cadenza's).
    """
    path = Path(path)
    if current_revision(path) == HEAD_REVISION:
        return
    upgrade(path, "head")


def upgrade(path: Path, revision: str = "head") -> None:
    """Upgrade the record at `path` (created if missing) to `revision` under the file lock.

    Raises `StoreError` for an unknown current or target revision or a failed migration.
    """
    path = Path(path)
    with _migration_lock(path):
        current = current_revision(path)
        if current == HEAD_REVISION and revision in ("head", HEAD_REVISION):
            return
        _check_known(path, current)
        conn = connect(path)  # create the file in WAL mode before anything else touches it
        try:
            fresh = current is None and revision in ("head", HEAD_REVISION) and _is_empty(conn)
            if fresh and snapshot.snapshot_revision() == HEAD_REVISION:
                snapshot.create_from_snapshot(conn)  # a new record: no Alembic import
                return
        finally:
            conn.close()
        _run_alembic(path, "upgrade", revision)


def _is_empty(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def downgrade(path: Path, revision: str) -> None:
    """Downgrade the record at `path` to `revision` (``"base"`` drops every table).

    Destructive: columns and tables added after `revision` are dropped with their data.
    Raises `StoreError` for an unknown current or target revision or a failed migration.
    """
    path = Path(path)
    if not path.exists():
        raise StoreError(f"There is no run record at {path} to downgrade")
    with _migration_lock(path):
        _check_known(path, current_revision(path))
        _run_alembic(path, "downgrade", revision)


def known_revisions() -> list[str]:
    """Every revision id in the migration scripts, oldest first (imports Alembic)."""
    script = _script_directory()
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def script_head() -> str:
    """The head revision according to the Alembic scripts (imports Alembic)."""
    head = _script_directory().get_current_head()
    assert head is not None
    return head


def _check_known(path: Path, current: str | None) -> None:
    if current is not None and current not in known_revisions():
        raise StoreError(
            f"The run record {path} is at schema revision {current!r}, which this version of "
            f"cadenza does not know (its newest is {HEAD_REVISION!r}); it was probably written "
            f"by a newer cadenza. Upgrade cadenza, or point CADENZA_HOME elsewhere."
        )


@contextlib.contextmanager
def _migration_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (blocking) for the duration: an OS lock
    (``flock`` on POSIX, ``LockFileEx`` on Windows) that a killed process gives up at once."""
    # lazily: filelock costs tens of milliseconds to import; only a new or older record needs it
    from filelock import FileLock

    private_dir(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    with FileLock(lock_path, mode=0o600):
        yield


def _alembic_config(path: Path):  # -> alembic.config.Config
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{path}".replace("%", "%%"))
    return cfg


def _script_directory():  # -> alembic.script.ScriptDirectory
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(Path("unused.db")))


def _run_alembic(path: Path, command_name: str, revision: str) -> None:
    """Run one Alembic command in a single ``BEGIN IMMEDIATE`` transaction (atomic DDL)."""
    from alembic import command
    from alembic.util import CommandError
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    engine = create_engine(
        f"sqlite:///{path}",
        poolclass=NullPool,
        connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_conn: Any, _record: Any) -> None:  # DB-API: untyped
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    cfg = _alembic_config(path)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, command_name)(cfg, revision)
    except CommandError as exc:
        raise StoreError(f"Cannot {command_name} the run record {path}: {exc}") from None
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StoreError(
            f"Migration ({command_name} to {revision!r}) of the run record {path} failed: {exc}"
        ) from exc
    finally:
        engine.dispose()


__all__ = [
    "HEAD_REVISION",
    "MIGRATIONS_DIR",
    "connect",
    "current_revision",
    "default_db_path",
    "downgrade",
    "ensure_schema",
    "known_revisions",
    "record_files",
    "script_head",
    "synchronous_level",
    "upgrade",
]
