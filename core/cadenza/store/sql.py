"""A run record opened with SQLAlchemy Core (SQLite or PostgreSQL), and the run transitions
applied in its transactions.

`SqlDatabase` is what the server's `Store` and the scheduler and work-pool functions
(`cadenza.store.deployments`, `cadenza.store.scheduling`, `cadenza.store.work_pools`) write
through, in the server process and in a `serve` process on the embedded record alike. Writes
happen in one transaction each. On SQLite this process is one writer among possibly several
(embedded backends share the file): its own writes are serialised by a lock and begin with
``BEGIN IMMEDIATE``, so concurrent requests queue instead of failing with "database is locked";
when another process holds the file longer than the busy timeout, `DatabaseBusy` is raised (the
API answers 503 with ``Retry-After``). On PostgreSQL the rows a transition reads are locked with
``SELECT ... FOR UPDATE``.

Importing this module imports SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from cadenza.orchestration import Decision, DecisionKind
from cadenza.settings import spec
from cadenza.store import run_records, urls
from cadenza.store.run_records import RunRecord
from cadenza.store.tables import flow_runs, run_states, task_runs

CHUNK = 500  # ids per IN (...) list
_CHUNK = CHUNK
_RUN_COLUMNS = ("id", "state_type", "state_name", "state_message", "start_time", "end_time",
                "run_count", "retries", "result_ref")  # fmt: skip


class DatabaseBusy(Exception):
    """The database stayed locked by another writer; the client should retry shortly."""


class SqlDatabase:
    """A run record at `url` (already migrated: see `cadenza.store.urls.prepare`), opened with
    SQLAlchemy: the server's storage and the scheduler's, over SQLite or PostgreSQL."""

    def __init__(self, url: str, busy_timeout: float = 10.0) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self.sqlite_path = urls.sqlite_path(url)
        self._lock = threading.Lock() if self.sqlite_path is not None else None
        if self.sqlite_path is not None:
            self.engine = sa.create_engine(
                f"sqlite:///{self.sqlite_path}",
                connect_args={"timeout": busy_timeout, "check_same_thread": False},
                pool_size=8,
                max_overflow=32,
            )
            sa.event.listen(self.engine, "connect", self._sqlite_connect)
            sa.event.listen(self.engine, "begin", self._sqlite_begin)
        else:
            # psycopg prepares a statement a connection runs 5 times; a transaction-mode pooler
            # may hand the next transaction a server connection that lacks it
            prepared = spec.get("CADENZA_SERVER_DB_PREPARED_STATEMENTS")
            self.engine = sa.create_engine(
                url,
                pool_pre_ping=True,
                pool_size=spec.get("CADENZA_SERVER_DB_POOL_SIZE"),
                max_overflow=spec.get("CADENZA_SERVER_DB_MAX_OVERFLOW"),
                connect_args={} if prepared else {"prepare_threshold": None},
            )

    def _sqlite_connect(self, dbapi_conn: Any, _record: Any) -> None:  # DB-API: untyped
        dbapi_conn.isolation_level = None  # transactions are begun explicitly (below)
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    @staticmethod
    def _sqlite_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get("cadenza_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction; `DatabaseBusy` if the database stays locked."""
        lock = self._lock
        if lock is not None and not lock.acquire(timeout=self.busy_timeout * 3):
            raise DatabaseBusy("the server's write queue is full")
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(cadenza_write=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            text = str(exc.orig).lower()
            if "locked" in text or "busy" in text or "deadlock" in text:
                raise DatabaseBusy(str(exc.orig)) from None
            raise
        finally:
            if lock is not None:
                lock.release()

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reads (SQLAlchemy); `DatabaseBusy` if the database is locked."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise DatabaseBusy(str(exc.orig)) from None

    # Kept for the server's modules, which name the write transaction so.
    _write = write

    def set_state(
        self, kind: str, run_id: str, transition_id: str, run_count: int | None, state: Any,
        force: bool = False,
    ) -> Decision:  # fmt: skip
        """Decide and, if accepted, apply one proposed transition of a flow or task run (the
        server's ``set_state`` routes and the embedded client's `set_flow_run_state`). With
        `force` the policy's rules are skipped: the state is accepted as Prefect's
        ``force=True`` does (a repeated transition id is still applied once)."""
        table = flow_runs if kind == "flow" else task_runs
        with self.write() as conn:
            run = load_runs(conn, table, kind, [run_id]).get(run_id)  # locked first
            if run is None:
                return run_records.unknown_run(kind, run_id)
            if conn.execute(
                sa.select(run_states.c.id).where(
                    run_states.c.run_id == run_id, run_states.c.transition_id == transition_id
                )
            ).first():
                return Decision(DecisionKind.ACCEPT, run_records.ALREADY_APPLIED)
            decision, row = run_records.apply(run, transition_id, run_count, state, force=force)
            if row is not None:
                write_transitions(conn, [row], [run])
            return decision

    # The dialect's own INSERT (PostgreSQL's or SQLite's), both with on_conflict_do_*.
    def _insert(self, table: sa.Table) -> Any:
        return dialect_insert(self.engine.dialect.name, table)

    def insert_ignore(self, table: sa.Table) -> Any:
        """INSERT that skips a row whose ``id`` exists."""
        return self._insert(table).on_conflict_do_nothing(index_elements=["id"])

    def upsert(self, table: sa.Table, key: str) -> Any:
        """INSERT that replaces the other columns of a row whose ``key`` exists."""
        statement = self._insert(table)
        columns = {c.name: statement.excluded[c.name] for c in table.columns if c.name != key}
        return statement.on_conflict_do_update(index_elements=[key], set_=columns)


def dialect_insert(dialect: str, table: sa.Table) -> Any:
    """The dialect's own INSERT of `table` (PostgreSQL's or SQLite's: both have
    ``on_conflict_do_nothing`` / ``on_conflict_do_update``)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def load_runs(
    conn: sa.Connection, table: sa.Table, kind: str, ids: list[str]
) -> dict[str, RunRecord]:
    """The runs `ids` of `table` (``kind`` "flow" or "task"), locked for update, with the
    details of a Scheduled state (its scheduled time) where deciding needs them."""
    columns = [table.c[name] for name in _RUN_COLUMNS]
    if kind == "task":
        columns.append(table.c.flow_run_id)
    runs: dict[str, RunRecord] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = sorted(ids[start : start + _CHUNK])  # one lock order: no deadlocks
        query = sa.select(*columns).where(table.c.id.in_(chunk)).order_by(table.c.id)
        for row in conn.execute(query.with_for_update()):
            runs[row.id] = RunRecord(kind, row)
    scheduled = [r.id for r in runs.values() if run_records.needs_details(r)]
    for start in range(0, len(scheduled), _CHUNK):
        chunk = scheduled[start : start + _CHUNK]
        latest = (
            sa.select(sa.func.max(run_states.c.id))
            .where(run_states.c.run_id.in_(chunk))
            .group_by(run_states.c.run_id)
        )
        query = sa.select(run_states.c.run_id, run_states.c.details).where(
            run_states.c.id.in_(latest)
        )
        for run_id, details in conn.execute(query):
            runs[run_id].details = run_records.load_details(details)
    return runs


def applied_transitions(conn: sa.Connection, ids: list[str]) -> set[tuple[str, str]]:
    """(run id, transition id) of every transition recorded for the runs `ids`."""
    applied: set[tuple[str, str]] = set()
    for start in range(0, len(ids), _CHUNK):
        query = sa.select(run_states.c.run_id, run_states.c.transition_id).where(
            run_states.c.run_id.in_(ids[start : start + _CHUNK])
        )
        applied.update((r, t) for r, t in conn.execute(query))
    return applied


def write_transitions(
    conn: sa.Connection, rows: list[dict[str, Any]], runs: list[RunRecord]
) -> None:
    """Insert the ``run_states`` `rows` and update the changed `runs`' rows."""
    if rows:
        conn.execute(run_states.insert(), rows)
    for kind, table in (("flow", flow_runs), ("task", task_runs)):
        values = [r.values() for r in runs if r.kind == kind]
        if values:
            update = (
                table.update()
                .where(table.c.id == sa.bindparam("b_id"))
                .values({k: sa.bindparam(k) for k in values[0] if k != "b_id"})
            )
            conn.execute(update, values)


__all__ = [
    "CHUNK",
    "DatabaseBusy",
    "SqlDatabase",
    "applied_transitions",
    "dialect_insert",
    "load_runs",
    "write_transitions",
]
