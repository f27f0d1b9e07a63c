"""Health checks of a run record, read without changing it (for `cadenza db doctor`).

`check_file` examines the embedded record (a SQLite file) with the standard library; `check_url`
examines a server's database (any SQLAlchemy URL) the same way where that makes sense. Each
returns a `RecordHealth`. Neither creates, migrates nor repairs anything: a run whose process is
gone is reported here and marked Crashed by `cadenza.backends.recovery` the next time a
cadenza process opens the record.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cadenza.exceptions import StoreError
from cadenza.store import database
from cadenza.store.owners import PROCESS, is_alive

PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
#: The states of a run that some process is still expected to finish (those recovery reaps).
ACTIVE = ("PENDING", "RUNNING", "CANCELLING", "PAUSED")
_QUICK_CHECK_ROWS = 20

_ACTIVE_RUNS = (
    "SELECT id, name, flow_name, state_type, pid, hostname, process_start FROM flow_runs "
    f"WHERE state_type IN ({', '.join(repr(s) for s in ACTIVE)}) ORDER BY created"
)


@dataclass
class RecordHealth:
    """What `check_file` / `check_url` found. ``integrity`` is ``["ok"]``, SQLite's complaints,
    or empty when not checked (not SQLite, or no file); ``revision_status`` is ``current``,
    ``older`` (upgraded on next use), ``newer`` (written by a newer cadenza), ``none`` (no schema
    yet) or ``unreadable``."""

    target: str  # "embedded" or "server"
    location: str  # the file, or the URL without its password
    exists: bool
    path: str | None = None  # the SQLite file, when the record is one
    integrity: list[str] = field(default_factory=list)
    revision: str | None = None
    head: str = database.HEAD_REVISION
    revision_status: str = "none"
    error: str | None = None
    dead_runs: list[dict[str, Any]] = field(default_factory=list)
    unchecked_runs: int = 0  # active runs of other hosts, or with no process recorded

    def problems(self) -> list[str]:
        """What needs an operator's attention, one line each."""
        out = []
        if self.error:
            out.append(f"the record {self.location} cannot be read: {self.error}")
        if self.integrity and self.integrity != ["ok"]:
            out.append(f"the record {self.location} fails its integrity check")
        if self.revision_status == "newer":
            out.append(f"the record is at revision {self.revision}, newer than this cadenza")
        if self.dead_runs:
            out.append(f"{len(self.dead_runs)} run(s) marked active whose process is gone")
        return out

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_mode(path: Path, expected: int) -> dict[str, Any] | None:
    """``{"path", "mode", "expected", "ok"}`` for an existing `path` (None if missing): ok when
    it grants nothing beyond `expected` to anyone."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    return {"path": str(path), "mode": f"{mode:04o}", "expected": f"{expected:04o}",
            "ok": mode & ~expected == 0}  # fmt: skip


def check_file(path: Path, target: str = "embedded") -> RecordHealth:
    """The record in the SQLite file at `path`, opened read-only (a missing file stays so)."""
    health = RecordHealth(target, str(path), path.exists(), str(path))
    if not health.exists:
        return health
    try:
        health.revision = database.current_revision(path)
    except StoreError as exc:
        health.error, health.revision_status = str(exc), "unreadable"
    else:
        health.revision_status = _revision_status(health.revision)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        health.error = health.error or str(exc)
        return health
    try:
        try:
            rows = conn.execute(f"PRAGMA quick_check({_QUICK_CHECK_ROWS})").fetchall()
            health.integrity = [str(row[0]) for row in rows]
        except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
            health.integrity = [str(exc)]
        if health.revision_status in ("current", "older"):
            _sort_runs(health, conn.execute(_ACTIVE_RUNS).fetchall())
    except sqlite3.Error as exc:
        health.error = health.error or str(exc)
    finally:
        conn.close()
    return health


def check_url(url: str) -> RecordHealth:
    """A server's database at `url`. A ``sqlite://`` URL is checked as a file (`check_file`);
    any other through SQLAlchemy (imported here: only this command needs it), where there is
    no cheap integrity check. Raises `StoreError` for a URL SQLAlchemy cannot use."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise StoreError("An in-memory SQLite database has nothing to check; name a file")
            return check_file(Path(parsed.database).expanduser(), "server")
        engine = sa.create_engine(parsed, poolclass=NullPool)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise StoreError(f"Invalid database URL ({type(exc).__name__}: {exc})") from None
    health = RecordHealth("server", parsed.render_as_string(hide_password=True), True)
    try:
        with engine.connect() as conn:
            if sa.inspect(conn).has_table("alembic_version"):
                query = sa.text("SELECT version_num FROM alembic_version")
                health.revision = conn.execute(query).scalar()
            health.revision_status = _revision_status(health.revision)
            if health.revision_status in ("current", "older"):
                _sort_runs(health, list(conn.execute(sa.text(_ACTIVE_RUNS))))
    except SQLAlchemyError as exc:
        health.exists, health.revision_status = False, "unreadable"
        health.error = str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return health


def _revision_status(revision: str | None) -> str:
    if revision is None:
        return "none"
    if revision == database.HEAD_REVISION:
        return "current"
    return "older" if revision in database.known_revisions() else "newer"


def _sort_runs(health: RecordHealth, rows: list[Any]) -> None:
    """Active runs of this host whose process is gone go to ``dead_runs``; those that cannot
    be checked from here (another host, no process recorded) are counted."""
    for run_id, name, flow_name, state, pid, hostname, start in rows:
        if pid is None or hostname != PROCESS.hostname:
            health.unchecked_runs += 1
        elif not is_alive(int(pid), start):
            run = {"id": run_id, "name": name, "flow_name": flow_name, "state_type": state}
            health.dead_runs.append({**run, "pid": int(pid), "hostname": hostname})


__all__ = ["ACTIVE", "RecordHealth", "check_file", "check_url", "file_mode"]
