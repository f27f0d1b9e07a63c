"""The server's storage of runs: SQLAlchemy Core over the run record (SQLite or PostgreSQL).

Writes happen in one transaction per request, through `cadenza.store.sql.SqlDatabase` (which
says how SQLite and PostgreSQL writers are serialised and when `DatabaseBusy` is raised).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from cadenza.server import reads
from cadenza.server.errors import Refused
from cadenza.server.sightings import Sightings
from cadenza.store import events as store_events
from cadenza.store import run_records as transitions
from cadenza.store.sql import (
    CHUNK as _CHUNK,
)
from cadenza.store.sql import (
    DatabaseBusy,
    SqlDatabase,
    applied_transitions,
    load_runs,
    write_transitions,
)
from cadenza.store.tables import (
    artifacts,
    cache_entries,
    flow_runs,
    logs,
    task_runs,
)

WARNING, ERROR = logging.WARNING, logging.ERROR

UNKNOWN_FLOW_RUN = (
    "no flow run with this id is recorded on the server; create it first (POST /api/flow_runs)"
)


class Store(SqlDatabase):
    """Reads and writes of the run record at `url` (already migrated: see `urls.prepare`)."""

    def __init__(self, url: str, busy_timeout: float = 10.0) -> None:
        super().__init__(url, busy_timeout)
        self.sightings = Sightings()  # flow runs seen alive, noted before any database wait

    # -- writes ---------------------------------------------------------------------------------
    def create_flow_run(self, run: dict[str, Any]) -> bool:
        """Insert the flow run `run` (column values) unless it exists; True if inserted."""
        with self._write() as conn:
            # RETURNING tells whether the row went in: rowcount is not reliable for an ignored
            # conflict on psycopg (a duplicate counted as inserted).
            statement = self.insert_ignore(flow_runs).returning(flow_runs.c.id)
            return conn.execute(statement, run).first() is not None

    def apply_batch(
        self,
        task_rows: list[dict[str, Any]],
        proposals: list[Any],
        log_rows: list[dict[str, Any]],
        artifact_rows: Sequence[dict[str, Any]] = (),
        cache_rows: Sequence[dict[str, Any]] = (),
        artifact_updates: Sequence[dict[str, Any]] = (),
        event_records: Sequence[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """Create task runs, apply `proposals` in order, insert logs, artifacts and events (an
        id seen before is skipped), record cache entries: one transaction.

        `Refused` (nothing written) if a task run names a flow run this server does not know.
        """
        accepted = duplicates = 0
        rejected: list[dict[str, str]] = []
        with self._write() as conn:
            if task_rows:
                self._refuse_unknown_flow_runs(conn, task_rows)
                conn.execute(self.insert_ignore(task_runs), task_rows)
            ids = list(dict.fromkeys(p.run_id for p in proposals))
            runs = load_runs(conn, task_runs, "task", ids)
            missing = [i for i in ids if i not in runs]
            if missing:
                runs.update(load_runs(conn, flow_runs, "flow", missing))
            applied = applied_transitions(conn, ids)
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
            write_transitions(conn, rows, [r for r in runs.values() if r.dirty])
            if log_rows:  # a line whose id was seen before (a resent batch) is kept once
                self._insert_logs(conn, log_rows)
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
            if event_records:
                store_events.ingest(conn, event_records)
        return {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}

    def _insert_logs(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        """Insert log lines, skipping those whose uid is recorded, and add the lines at WARNING
        and above that went in to their flow runs' counts (only when the batch has some: the
        lines that went in are then told by RETURNING, which a concurrent resend of the same
        lines cannot fool)."""
        insert = self._insert(logs).on_conflict_do_nothing(index_elements=["uid"])
        if not any(_warns(row) for row in rows):
            conn.execute(insert, rows)
            return
        stored = conn.execute(insert.returning(logs.c.flow_run_id, logs.c.level), rows)
        counts: dict[str, list[int]] = {}
        for run_id, level in stored:
            if run_id is not None and level >= WARNING:
                count = counts.setdefault(run_id, [0, 0])
                count[0] += 1
                count[1] += level >= ERROR
        if counts:  # in id order, as every writer locks flow runs
            conn.execute(
                flow_runs.update()
                .where(flow_runs.c.id == sa.bindparam("run_id"))
                .values(
                    warning_count=flow_runs.c.warning_count + sa.bindparam("warnings"),
                    error_count=flow_runs.c.error_count + sa.bindparam("errors"),
                ),
                [{"run_id": k, "warnings": w, "errors": e} for k, (w, e) in sorted(counts.items())],
            )

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

    def read_with(self, read: Any, *args: Any, **kwargs: Any) -> Any:
        """``read(conn, *args, **kwargs)`` for a function of `cadenza.store` that reads with
        ``?`` placeholders (`cadenza.store.filtered_reads`), on either database."""
        with self._read() as conn:
            return read(reads.queries_conn(conn), *args, **kwargs)

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
        self, ref: str, limit: int, offset: int, after: int | None, **filters: Any
    ) -> list[dict[str, Any]]:
        with self._read() as conn:
            run_id = reads.resolve_flow_run_id(conn, ref)
            return reads.logs_page(conn, run_id, limit, offset, after, **filters)

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


def _warns(row: dict[str, Any]) -> bool:
    return row["flow_run_id"] is not None and row["level"] >= WARNING


def dumps(value: Any) -> str:
    return json.dumps(value, default=repr)


__all__ = ["UNKNOWN_FLOW_RUN", "DatabaseBusy", "Store", "dumps"]
