"""The server's storage: SQLAlchemy Core over the run record (SQLite or PostgreSQL).

Writes happen in one transaction per request. On SQLite the server is one writer among
possibly several processes (embedded backends share the file): its own writes are serialised
by a lock and begin with ``BEGIN IMMEDIATE``, so concurrent requests queue instead of failing
with "database is locked"; when another process holds the file longer than the busy timeout,
`DatabaseBusy` is raised (the API answers 503 with ``Retry-After``). On PostgreSQL the rows a
transition reads are locked with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from cadenza.orchestration import Decision, DecisionKind
from cadenza.server import reads, schema, transitions
from cadenza.server.errors import Refused
from cadenza.server.sightings import Sightings
from cadenza.server.transitions import ALREADY_APPLIED, RunRecord
from cadenza.store.tables import (
    artifacts,
    cache_entries,
    flow_runs,
    logs,
    run_states,
    task_runs,
)

_CHUNK = 500  # ids per IN (...) list
_RUN_COLUMNS = ("id", "state_type", "state_name", "state_message", "start_time", "end_time",
                "run_count", "retries", "result_ref")  # fmt: skip


UNKNOWN_FLOW_RUN = (
    "no flow run with this id is recorded on the server; create it first (POST /api/flow_runs)"
)


class DatabaseBusy(Exception):
    """The database stayed locked by another writer; the client should retry shortly."""


class Store:
    """Reads and writes of the run record at `url` (already migrated: see `schema.prepare`)."""

    def __init__(self, url: str, busy_timeout: float = 10.0) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self.sqlite_path = schema.sqlite_path(url)
        self.sightings = Sightings()  # flow runs seen alive, noted before any database wait
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
            self.engine = sa.create_engine(url, pool_pre_ping=True)

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
    def _write(self) -> Iterator[sa.Connection]:
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

    # -- writes ---------------------------------------------------------------------------------
    def create_flow_run(self, run: dict[str, Any]) -> bool:
        """Insert the flow run `run` (column values) unless it exists; True if inserted."""
        with self._write() as conn:
            # RETURNING tells whether the row went in: rowcount is not reliable for an ignored
            # conflict on psycopg (a duplicate counted as inserted).
            statement = self.insert_ignore(flow_runs).returning(flow_runs.c.id)
            return conn.execute(statement, run).first() is not None

    def set_state(
        self, kind: str, run_id: str, transition_id: str, run_count: int | None, state: Any
    ) -> Decision:
        """Decide and, if accepted, apply one proposed transition of a flow or task run."""
        table = flow_runs if kind == "flow" else task_runs
        with self._write() as conn:
            run = self._load_runs(conn, table, kind, [run_id]).get(run_id)  # locked first
            if run is None:
                return transitions.unknown_run(kind, run_id)
            if conn.execute(
                sa.select(run_states.c.id).where(
                    run_states.c.run_id == run_id, run_states.c.transition_id == transition_id
                )
            ).first():
                return Decision(DecisionKind.ACCEPT, ALREADY_APPLIED)
            decision, row = transitions.apply(run, transition_id, run_count, state)
            if row is not None:
                self._write_transitions(conn, [row], [run])
            return decision

    def apply_batch(
        self,
        task_rows: list[dict[str, Any]],
        proposals: list[Any],
        log_rows: list[dict[str, Any]],
        artifact_rows: Sequence[dict[str, Any]] = (),
        cache_rows: Sequence[dict[str, Any]] = (),
        artifact_updates: Sequence[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """Create task runs, apply `proposals` in order, insert logs and artifacts (an id seen
        before is skipped), record cache entries: one transaction.

        `Refused` (nothing written) if a task run names a flow run this server does not know.
        """
        accepted = duplicates = 0
        rejected: list[dict[str, str]] = []
        with self._write() as conn:
            if task_rows:
                self._refuse_unknown_flow_runs(conn, task_rows)
                conn.execute(self.insert_ignore(task_runs), task_rows)
            ids = list(dict.fromkeys(p.run_id for p in proposals))
            runs = self._load_runs(conn, task_runs, "task", ids)
            missing = [i for i in ids if i not in runs]
            if missing:
                runs.update(self._load_runs(conn, flow_runs, "flow", missing))
            applied = self._applied(conn, ids)
            rows = []
            for p in proposals:
                key = (p.run_id, p.transition_id)
                if key in applied:
                    duplicates += 1
                    continue
                run = runs.get(p.run_id)
                if run is None:
                    rejected.append(
                        {"transition_id": p.transition_id,
                         "reason": f"ABORT: no run with id {p.run_id!r}"}
                    )  # fmt: skip
                    continue
                decision, row = transitions.apply(run, p.transition_id, p.run_count, p.state)
                if row is None:
                    reason = f"{decision.kind.value}: {decision.reason}"
                    rejected.append({"transition_id": p.transition_id, "reason": reason})
                    continue
                applied.add(key)
                rows.append(row)
                accepted += 1
            self._write_transitions(conn, rows, [r for r in runs.values() if r.dirty])
            if log_rows:  # a line whose id was seen before (a resent batch) is kept once
                conn.execute(self._insert(logs).on_conflict_do_nothing(index_elements=["uid"]),
                             log_rows)  # fmt: skip
            if artifact_rows:
                conn.execute(self.insert_ignore(artifacts), artifact_rows)
            if cache_rows:
                conn.execute(self.upsert(cache_entries, "key"), cache_rows)
            for update in artifact_updates:  # progress artifacts only; an unknown id: nothing
                values = {"data": json.dumps(update["data"])}
                if update.get("description") is not None:
                    values["description"] = update["description"]
                conn.execute(
                    artifacts.update()
                    .where(artifacts.c.id == update["id"], artifacts.c.type == "progress")
                    .values(values)
                )
        return {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}

    @staticmethod
    def _refuse_unknown_flow_runs(conn: sa.Connection, task_rows: list[dict[str, Any]]) -> None:
        """`Refused` naming each task run (by its index) whose flow run is not recorded; a null
        flow run id is a task called outside a flow."""
        wanted = sorted({r["flow_run_id"] for r in task_rows if r["flow_run_id"] is not None})
        known: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            known.update(
                conn.execute(sa.select(flow_runs.c.id).where(flow_runs.c.id.in_(chunk))).scalars()
            )
        problems = [
            (("body", "task_runs", i, "flow_run_id"), UNKNOWN_FLOW_RUN)
            for i, row in enumerate(task_rows)
            if row["flow_run_id"] is not None and row["flow_run_id"] not in known
        ]
        if problems:
            raise Refused(problems)

    # The dialect's own INSERT (PostgreSQL's or SQLite's), both with on_conflict_do_*.
    def _insert(self, table: sa.Table) -> Any:
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def insert_ignore(self, table: sa.Table) -> Any:
        """INSERT that skips a row whose ``id`` exists."""
        return self._insert(table).on_conflict_do_nothing(index_elements=["id"])

    def upsert(self, table: sa.Table, key: str) -> Any:
        """INSERT that replaces the other columns of a row whose ``key`` exists."""
        statement = self._insert(table)
        columns = {c.name: statement.excluded[c.name] for c in table.columns if c.name != key}
        return statement.on_conflict_do_update(index_elements=[key], set_=columns)

    def _load_runs(
        self, conn: sa.Connection, table: sa.Table, kind: str, ids: list[str]
    ) -> dict[str, RunRecord]:
        columns = [table.c[name] for name in _RUN_COLUMNS]
        if kind == "task":
            columns.append(table.c.flow_run_id)
        runs: dict[str, RunRecord] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = sorted(ids[start : start + _CHUNK])  # one lock order: no deadlocks
            query = sa.select(*columns).where(table.c.id.in_(chunk)).order_by(table.c.id)
            for row in conn.execute(query.with_for_update()):
                runs[row.id] = RunRecord(kind, row)
        scheduled = [r.id for r in runs.values() if transitions.needs_details(r)]
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
                runs[run_id].details = transitions.load_details(details)
        return runs

    @staticmethod
    def _applied(conn: sa.Connection, ids: list[str]) -> set[tuple[str, str]]:
        applied: set[tuple[str, str]] = set()
        for start in range(0, len(ids), _CHUNK):
            query = sa.select(run_states.c.run_id, run_states.c.transition_id).where(
                run_states.c.run_id.in_(ids[start : start + _CHUNK])
            )
            applied.update((r, t) for r, t in conn.execute(query))
        return applied

    @staticmethod
    def _write_transitions(
        conn: sa.Connection, rows: list[dict[str, Any]], runs: list[RunRecord]
    ) -> None:
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

    # -- reads ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        """A connection for `cadenza.server.reads`: sqlite3 on SQLite, SQLAlchemy otherwise."""
        try:
            if self.sqlite_path is not None:
                raw = self.engine.raw_connection()
                try:
                    yield raw.driver_connection
                finally:
                    raw.close()
            else:
                with self.engine.connect() as conn:
                    yield conn
        except OperationalError as exc:
            raise DatabaseBusy(str(exc.orig)) from None

    def list_flow_runs(self, **filters: Any) -> list[dict[str, Any]]:
        with self._read() as conn:
            return reads.list_flow_runs(conn, **filters)

    def flow_run_summary(self, ref: str) -> dict[str, Any]:
        with self._read() as conn:
            return reads.flow_run_summary(conn, reads.resolve_flow_run_id(conn, ref))

    def task_runs_page(self, ref: str, limit: int, offset: int) -> list[dict[str, Any]]:
        with self._read() as conn:
            return reads.task_runs_page(conn, reads.resolve_flow_run_id(conn, ref), limit, offset)

    def logs_page(
        self, ref: str, limit: int, offset: int, after: int | None
    ) -> list[dict[str, Any]]:
        with self._read() as conn:
            run_id = reads.resolve_flow_run_id(conn, ref)
            return reads.logs_page(conn, run_id, limit, offset, after)

    def subflow_runs_page(self, ref: str, limit: int, offset: int) -> list[dict[str, Any]]:
        with self._read() as conn:
            run_id = reads.resolve_flow_run_id(conn, ref)
            return reads.subflow_runs_page(conn, run_id, limit, offset)

    def list_flows(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            return reads.list_flows(conn)

    def list_task_runs(self, **filters: Any) -> list[dict[str, Any]]:
        with self._read() as conn:
            return reads.list_task_runs(conn, **filters)

    def get_task_run(self, task_run_id: str) -> dict[str, Any]:
        with self._read() as conn:
            return reads.get_task_run(conn, task_run_id)


def dumps(value: Any) -> str:
    return json.dumps(value, default=repr)


__all__ = ["UNKNOWN_FLOW_RUN", "DatabaseBusy", "Store", "dumps"]
