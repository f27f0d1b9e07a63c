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
import logging
import sqlite3
import sys
import threading
import time
from typing import TYPE_CHECKING

from cadenza.backends import writer
from cadenza.backends.recording import Recorder, pop_all, take_runs
from cadenza.backends.recovery import reap_dead_runs
from cadenza.masking import mask
from cadenza.orchestration import CORE_POLICY
from cadenza.store import statements
from cadenza.store.database import connect, ensure_schema
from cadenza.store.owners import PROCESS

if TYPE_CHECKING:
    from pathlib import Path

    from cadenza.runs import FlowRun, TaskRun


# Generated from cadenza.store.tables (python -m cadenza.store.generate). A row written with one
# (built below, or queued by `Recorder`) holds its values in the order of the statement's
# `<NAME>_PARAMS`; tests/store/test_statements.py checks each value lands in its column.
_UPSERT_FLOW_RUN = statements.UPSERT_FLOW_RUN
_UPSERT_TASK_RUN = statements.UPSERT_TASK_RUN
_INSERT_STATE = statements.INSERT_STATE
_UPSERT_CACHE = statements.UPSERT_CACHE
_INSERT_ARTIFACT = statements.INSERT_ARTIFACT
_UPDATE_ARTIFACT = statements.UPDATE_ARTIFACT
_INSERT_LOG = statements.INSERT_LOG
_INSERT_EVENT = statements.INSERT_EVENT


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
        mask(state.message) if state and state.message else None,
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
        mask(state.message) if state and state.message else None,
        run.created,
        run.start_time,
        run.end_time,
        run.run_count,
        run.result_ref,
        run.cache_key,
        run.retries,
        json.dumps(run.task_inputs) if run.task_inputs else None,
    )


def _artifact_row(a: dict) -> tuple:
    return (a["id"], a["key"], a["type"], a["description"], _dumps(a["data"]), a["flow_run_id"],
            a["task_run_id"], a["created"])  # fmt: skip


def _event_row(e: dict) -> tuple:
    return (e["id"], e["occurred"], e["event"], e["resource"]["cadenza.resource.id"],
            json.dumps(e["resource"], sort_keys=True), json.dumps(e["related"]),
            _dumps(e["payload"]))  # fmt: skip


def _warns(log_row: tuple) -> bool:
    """A log line the flow run's warning count includes (level at WARNING or above)."""
    level = log_row[2]
    return type(level) is int and level >= logging.WARNING


def _dumps(value: object) -> str:
    return json.dumps(value, default=repr)


class EmbeddedBackend(Recorder):
    """Records runs into a SQLite file through a batching writer thread."""

    def __init__(self, path: Path, flush_interval: float = 0.05, policy=CORE_POLICY) -> None:

        super().__init__(policy)
        self.path = path
        self.flush_interval = flush_interval
        ensure_schema(path)
        self._conn = connect(path)
        reap_dead_runs(self._conn)
        self._retry: list[tuple[str, list[tuple]]] = []
        self._trouble = writer.Trouble(path)
        self._next_relief = 0.0
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

    def read_states(self, run_ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
        """The states the record holds for `run_ids` (changed by `cadenza runs cancel` in
        another process, say); this process's own queued transitions are not in it yet."""
        if not run_ids or self._closed:
            return {}
        marks = ",".join("?" * len(run_ids))
        sql = f"SELECT id, state_type, state_name FROM flow_runs WHERE id IN ({marks})"
        try:
            with self._lock:
                rows = self._conn.execute(sql, run_ids).fetchall()
        except sqlite3.Error:
            return {}  # busy or unreadable just now: asked again at the next look
        return {row[0]: (row[1], row[2]) for row in rows}

    def relieve(self) -> None:
        """Backpressure: wait for the writer's batch in progress, then write what is left here.

        Runs produced faster than SQLite can record them (a large map on many threads) thus
        slow to the writer's pace instead of piling up in memory. While the record cannot be
        written at all (a full disk), this tries at most twice a second.
        """
        if self._trouble.cause is not None and time.monotonic() < self._next_relief:
            return
        with self._lock:
            if len(self._states) > self.high_water:
                self._drain()
        self._next_relief = time.monotonic() + 0.5

    def flush(self) -> None:
        """Write everything accepted so far before returning. When the record cannot be
        written (reported once on stderr), the rows stay queued for the writer to retry."""
        with self._lock:
            self._drain()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        try:
            with self._lock:
                if not self._drain():
                    waiting = sum(len(rows) for _, rows in self._retry)
                    print(
                        f"cadenza: {waiting} record(s) of this process could not be written to "
                        f"the run record {self.path} ({self._trouble.cause}); its flow runs "
                        "left unfinished there are marked Crashed by the next cadenza process",
                        file=sys.stderr,
                    )
        finally:
            atexit.unregister(self.close)
            self._conn.close()

    # -- the writer -----------------------------------------------------------------------------
    def _write_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_interval)
            if self._closed:
                return
            with self._lock:
                if self._closed or self._drain():
                    continue
            time.sleep(min(1.0, max(0.05, self.flush_interval * 10)))  # the cause was reported

    def _drain(self) -> bool:
        """Write everything queued in one transaction; False if it failed. Caller holds the
        lock.

        Transitions and logs are taken before the runs they name, so a run created while this
        drains is either in this batch with its transitions or in the next one with them.
        A write that fails for a reason outside the rows (a locked or full disk) keeps every row
        for the next attempt and is reported once per cause; a row the database refuses for
        its content is cleaned (`cadenza._text.storable`) or, failing that, set aside as a dead
        letter, so it never blocks the rows behind it.
        """
        states = pop_all(self._states)
        logs = pop_all(self._logs)
        cache = pop_all(self._cache)
        queued = pop_all(self._artifacts)
        events = pop_all(self._events)
        runs = take_runs(self._runs)
        if not (runs or states or logs or cache or queued or events or self._retry):
            return True
        artifacts = [_artifact_row(a) for a in queued if "update" not in a]
        updates = [(_dumps(a["data"]), a["description"], a["id"]) for a in queued if "update" in a]
        batches = [
            *self._retry,
            (_UPSERT_FLOW_RUN, [_flow_row(r) for r in runs if r.kind == "flow"]),
            (_UPSERT_TASK_RUN, [_task_row(r) for r in runs if r.kind == "task"]),
            (_INSERT_STATE, [row[:8] for row in states]),
            (_INSERT_LOG, logs),
            (_UPSERT_CACHE, cache),
            (_INSERT_ARTIFACT, artifacts),
            (_UPDATE_ARTIFACT, updates),
            (_INSERT_EVENT, [_event_row(e) for e in events]),
        ]
        self._retry = []
        warned = any(sql is _INSERT_LOG and any(_warns(row) for row in rows)
                     for sql, rows in batches)  # fmt: skip
        try:
            writer.write(self._conn, batches, count_logs=warned)
        except BaseException as exc:
            # Nothing accepted is dropped: keep the rows for the next attempt.
            self._retry = [b for b in batches if b[1]]
            if not isinstance(exc, Exception):
                raise
            self._trouble.report(exc, sum(len(b[1]) for b in self._retry))
            return False
        self._trouble.clear()
        return True


__all__ = ["EmbeddedBackend"]
