"""The embedded backend: orchestrate in-process, record into `$CADENZA_HOME/cadenza.db`.

Proposals are decided synchronously by the core policy against the in-memory run record, so a
task run costs no database round trip. Accepted transitions, run rows and log lines go onto
append-only queues that a writer thread drains every batch window (`CADENZA_FLUSH_INTERVAL`) in
one transaction. `flush()` drains them in the caller's thread, so everything accepted is on disk
when it returns; the engine flushes when a flow run ends and at interpreter exit.
"""

from __future__ import annotations

import atexit
import json
import sqlite3
import sys
import threading
import time
from typing import TYPE_CHECKING

from cadenza.backends.process import PROCESS
from cadenza.backends.recording import Recorder, pop_all, take_runs
from cadenza.orchestration import CORE_POLICY
from cadenza.store import statements

if TYPE_CHECKING:
    from pathlib import Path

    from cadenza.runs import FlowRun, TaskRun


# Generated from cadenza.store.tables (python -m cadenza.store.snapshot). A row written with one
# (built below, or queued by `Recorder`) holds its values in the order of the statement's
# `<NAME>_PARAMS`; tests/store/test_statements.py checks each value lands in its column.
_UPSERT_FLOW_RUN = statements.UPSERT_FLOW_RUN
_UPSERT_TASK_RUN = statements.UPSERT_TASK_RUN
_INSERT_STATE = statements.INSERT_STATE
_UPSERT_CACHE = statements.UPSERT_CACHE
_INSERT_ARTIFACT = statements.INSERT_ARTIFACT
_UPDATE_ARTIFACT = statements.UPDATE_ARTIFACT
_INSERT_LOG = statements.INSERT_LOG


def _flow_row(run: FlowRun) -> tuple:
    state = run.state
    return (
        run.id,
        run.name,
        run.flow_name,
        run.flow_version,
        run.parent_flow_run_id,
        run.parent_task_run_id,
        _dumps(run.parameters),
        json.dumps(list(run.tags)),
        state.type.value if state else None,
        state.name if state else None,
        state.message if state else None,
        run.created,
        run.start_time,
        run.end_time,
        run.run_count,
        run.result_ref,
        PROCESS.pid,
        PROCESS.hostname,
        PROCESS.start,
        run.entrypoint,
        run.resumed_from,
        run.retries,
    )


def _task_row(run: TaskRun) -> tuple:
    state = run.state
    return (
        run.id,
        run.flow_run_id,
        run.name,
        run.task_name,
        run.task_key,
        json.dumps(list(run.tags)) if run.tags else "[]",
        state.type.value if state else None,
        state.name if state else None,
        state.message if state else None,
        run.created,
        run.start_time,
        run.end_time,
        run.run_count,
        run.result_ref,
        run.cache_key,
        run.retries,
    )


def _artifact_row(a: dict) -> tuple:
    return (a["id"], a["key"], a["type"], a["description"], _dumps(a["data"]), a["flow_run_id"],
            a["task_run_id"], a["created"])  # fmt: skip


def _dumps(value: object) -> str:
    return json.dumps(value, default=repr)


class EmbeddedBackend(Recorder):
    """Records runs into a SQLite file through a batching writer thread."""

    def __init__(self, path: Path, flush_interval: float = 0.05, policy=CORE_POLICY) -> None:
        from cadenza.backends.recovery import reap_dead_runs
        from cadenza.store.database import connect, ensure_schema

        super().__init__(policy)
        self.path = path
        self.flush_interval = flush_interval
        ensure_schema(path)
        self._conn = connect(path)
        reap_dead_runs(self._conn)
        self._retry: list[tuple[str, list[tuple]]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._wake = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="cadenza-writer", daemon=True)
        self._writer.start()
        atexit.register(self.close)

    # -- durability -----------------------------------------------------------------------------
    def read_cache(self, key: str) -> tuple[str, float | None] | None:
        """The cache entry for `key`: this process's own first, then the record's."""
        entry = self._cache_written.get(key)
        if entry is not None:
            return entry
        with self._lock:
            row = self._conn.execute(
                "SELECT result_ref, expiration FROM cache_entries WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def relieve(self) -> None:
        """Backpressure: wait for the writer's batch in progress, then write what is left here.

        Runs produced faster than SQLite can record them (a large map on many threads) thus
        slow to the writer's pace instead of piling up in memory.
        """
        with self._lock:
            if len(self._states) > self.high_water:
                self._drain()

    def flush(self) -> None:
        with self._lock:
            self._drain()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        try:
            self.flush()
        finally:
            atexit.unregister(self.close)
            self._conn.close()

    # -- the writer -----------------------------------------------------------------------------
    def _write_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_interval)
            if self._closed:
                return
            try:
                with self._lock:
                    if not self._closed:
                        self._drain()
            except Exception as exc:  # keep the thread alive; the rows stay queued for retry
                print(f"cadenza: could not write the run record: {exc}", file=sys.stderr)
                time.sleep(min(1.0, self.flush_interval * 10))

    def _drain(self) -> None:
        """Write everything queued in one transaction. Caller holds the lock."""
        runs = take_runs(self._runs)
        states = pop_all(self._states)
        logs = pop_all(self._logs)
        cache = pop_all(self._cache)
        queued = pop_all(self._artifacts)
        artifacts = [_artifact_row(a) for a in queued if "update" not in a]
        updates = [(_dumps(a["data"]), a["description"], a["id"]) for a in queued if "update" in a]
        if not (runs or states or logs or cache or queued or self._retry):
            return
        flow_rows = [_flow_row(r) for r in runs if r.kind == "flow"]
        task_rows = [_task_row(r) for r in runs if r.kind == "task"]
        batches = [
            *self._retry,
            (_UPSERT_FLOW_RUN, flow_rows),
            (_UPSERT_TASK_RUN, task_rows),
            (_INSERT_STATE, states),
            (_INSERT_LOG, logs),
            (_UPSERT_CACHE, cache),
            (_INSERT_ARTIFACT, artifacts),
            (_UPDATE_ARTIFACT, updates),
        ]
        self._retry = []
        try:
            self._write(batches)
        except Exception:
            # Nothing accepted is dropped: keep the rows for the next attempt.
            self._retry = [b for b in batches if b[1]]
            raise

    def _write(self, batches: list[tuple[str, list[tuple]]]) -> None:
        conn = self._conn
        for attempt in range(50):
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(min(0.5, 0.01 * (attempt + 1)))
        else:
            conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in batches:
                if rows:
                    conn.executemany(sql, rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
