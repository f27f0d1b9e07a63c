"""`cadenza.store.statements`: the writers' SQL, generated from the tables, on real records.

The committed file must be what the tables give now; every statement must run against a record
created the way a user's is (from `schema.sql`); and what the embedded writer queues must land,
value by value, in the columns of the same name.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from cadenza.backends.embedded import EmbeddedBackend
from cadenza.runs import FlowRun, TaskRun
from cadenza.states import State, StateType
from cadenza.store import generate, statements
from cadenza.store.database import connect, ensure_schema
from cadenza.store.owners import PROCESS

NAMES = sorted(name for name in vars(statements) if name.isupper() and "_PARAMS" not in name)


def test_the_committed_statements_are_what_the_tables_give() -> None:
    assert generate.STATEMENTS.read_text() == generate.render_statements(), (
        "cadenza/store/statements.py is stale: run `python -m cadenza.store.generate`"
    )


def test_every_generated_statement_is_there() -> None:
    assert sorted(generate.compile_statements()) == NAMES


@pytest.fixture
def new_record(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    path = tmp_path / "cadenza.db"
    ensure_schema(path)  # from schema.sql, as a user's first run creates it
    conn = connect(path)
    yield conn
    conn.close()


@pytest.mark.parametrize("name", NAMES)
def test_each_statement_compiles_against_a_new_record_with_its_parameters(
    new_record: sqlite3.Connection, name: str
) -> None:
    """EXPLAIN prepares the statement (every table and column must exist) and binds exactly
    as many values as ``<NAME>_PARAMS`` names, without writing anything."""
    params = getattr(statements, f"{name}_PARAMS")
    new_record.execute(f"EXPLAIN {getattr(statements, name)}", [None] * len(params)).fetchall()
    with pytest.raises(sqlite3.ProgrammingError, match="bindings"):
        new_record.execute(f"EXPLAIN {getattr(statements, name)}", [None] * (len(params) + 1))


def _rows(path: Path, table: str) -> list[dict]:
    conn = sqlite3.connect(path)
    try:
        cursor = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        conn.close()


def _state(type_: StateType, message: str, ts: float, result_ref: str | None = None) -> State:
    return State(type_, message=message, ts=ts, result_ref=result_ref)


def test_the_embedded_writer_puts_every_value_in_its_own_column(tmp_path: Path) -> None:
    """Distinct values everywhere, so a row builder out of step with its statement's column
    order (or a column it does not fill) shows as a wrong or missing value. Each expected row
    names every column of its table: a new column must be decided on here."""
    path = tmp_path / "cadenza.db"
    backend = EmbeddedBackend(path, flush_interval=3600)  # writes only when flushed
    try:
        flow = FlowRun(
            "flow-name", "run-name", {"p": 1}, tags=("ftag",), flow_version="v9", retries=3,
            parent_flow_run_id="parent-f", parent_task_run_id="parent-t",
        )  # fmt: skip
        flow.entrypoint, flow.resumed_from, flow.run_count = "etl.py:main", "earlier-run", 7
        task = TaskRun("task-name", "task-key", "task-run-name", flow.id, ("ttag",), retries=4)
        task.cache_key, task.run_count = "cache-key", 6
        task.task_inputs = {"x": ["upstream-1"], "wait_for": ["upstream-2"]}
        backend.create_flow_run(flow)
        backend.create_task_run(task)
        for run, ref, base in ((flow, "flow-ref", 10.0), (task, "task-ref", 20.0)):
            backend.propose(run, _state(StateType.PENDING, f"{run.kind} pending", base))
            backend.propose(run, _state(StateType.RUNNING, f"{run.kind} running", base + 1))
            backend.propose(run, _state(StateType.COMPLETED, f"{run.kind} done", base + 2, ref))
        backend.log(flow.id, task.id, 25, "the-logger", "a message", 30.0)
        backend.write_cache("the-key", "cached-ref", "task-key", task.id, 40.0)
        backend.record_artifact({"id": "art-1", "key": "art-key", "type": "progress",
                                 "description": "before", "data": 0.25, "flow_run_id": flow.id,
                                 "task_run_id": task.id, "created": 50.0})  # fmt: skip
        backend.update_artifact("art-1", 0.75, None)  # keeps the description
        backend.flush()
    finally:
        backend.close()

    assert _rows(path, "flow_runs") == [
        {"id": flow.id, "name": "run-name", "flow_name": "flow-name", "flow_version": "v9",
         "parent_flow_run_id": "parent-f", "parent_task_run_id": "parent-t",
         "parameters": json.dumps({"p": 1}), "tags": json.dumps(["ftag"]),
         "state_type": "COMPLETED", "state_name": "Completed", "state_message": "flow done",
         "created": flow.created, "start_time": 11.0, "end_time": 12.0, "run_count": 7,
         "result_ref": "flow-ref", "pid": PROCESS.pid, "hostname": PROCESS.hostname,
         "process_start": PROCESS.start, "entrypoint": "etl.py:main",
         "resumed_from": "earlier-run", "retries": 3, "lease_expires": None,
         # a deployment's columns: written by the scheduler and the API, not by this writer
         "deployment_id": None, "work_pool_name": None, "work_queue_name": None,
         "expected_start_time": None, "idempotency_key": None, "auto_scheduled": 0,
         "schedule_id": None, "job_variables": None, "worker_name": None,
         "warning_count": 0, "error_count": 0},
    ]  # fmt: skip
    assert _rows(path, "task_runs") == [
        {"id": task.id, "flow_run_id": flow.id, "name": "task-run-name",
         "task_name": "task-name", "task_key": "task-key", "tags": json.dumps(["ttag"]),
         "state_type": "COMPLETED", "state_name": "Completed", "state_message": "task done",
         "created": task.created, "start_time": 21.0, "end_time": 22.0, "run_count": 6,
         "result_ref": "task-ref", "cache_key": "cache-key", "retries": 4,
         "task_inputs": json.dumps({"x": ["upstream-1"], "wait_for": ["upstream-2"]})},
    ]  # fmt: skip
    states = _rows(path, "run_states")
    assert [(s["run_id"], s["flow_run_id"], s["type"], s["name"], s["message"], s["timestamp"])
            for s in states] == [
        (run.id, flow.id, type_, type_.title(), f"{run.kind} {word}", base + step)
        for run, base in ((flow, 10.0), (task, 20.0))
        for step, (type_, word) in enumerate(
            (("PENDING", "pending"), ("RUNNING", "running"), ("COMPLETED", "done")))
    ]  # fmt: skip
    assert [s["transition_id"] for s in states[:3]] == [f"{flow.id}:{n}" for n in (1, 2, 3)]
    assert {s["details"] for s in states} == {None}
    assert set(states[0]) == {"id", "transition_id", "run_id", "flow_run_id", "type", "name",
                              "message", "timestamp", "details"}  # fmt: skip
    (log,) = _rows(path, "logs")
    assert log.pop("uid").startswith(tuple("0123456789abcdef"))  # the line's own id
    assert {k: v for k, v in log.items() if k != "id"} == {
        "flow_run_id": flow.id, "task_run_id": task.id, "level": 25, "logger": "the-logger",
        "message": "a message", "timestamp": 30.0,
    }  # fmt: skip
    (cache,) = _rows(path, "cache_entries")
    assert isinstance(cache.pop("created"), float)  # the time of writing
    assert cache == {"key": "the-key", "result_ref": "cached-ref", "task_key": "task-key",
                     "task_run_id": task.id, "expiration": 40.0}  # fmt: skip
    assert _rows(path, "artifacts") == [
        {"id": "art-1", "key": "art-key", "type": "progress", "description": "before",
         "data": "0.75", "flow_run_id": flow.id, "task_run_id": task.id, "created": 50.0},
    ]  # fmt: skip


def test_a_run_upserted_again_changes_only_its_progress(tmp_path: Path) -> None:
    """What was written when the run was first recorded stays; state, times, run count and
    result move on (`generate._RUN_PROGRESS`)."""
    path = tmp_path / "cadenza.db"
    backend = EmbeddedBackend(path, flush_interval=3600)
    try:
        flow = FlowRun("flow-name", "first-name", {"p": 1})
        backend.create_flow_run(flow)
        backend.propose(flow, _state(StateType.PENDING, "pending", 1.0))
        backend.flush()
        flow.name, flow.parameters, flow.retries = "second-name", {"p": 2}, 9
        backend.propose(flow, _state(StateType.RUNNING, "running", 2.0))
        backend.flush()
    finally:
        backend.close()
    (row,) = _rows(path, "flow_runs")
    assert (row["name"], row["parameters"], row["retries"]) == ("first-name", '{"p": 1}', 0)
    assert (row["state_type"], row["state_message"], row["start_time"]) == ("RUNNING", "running",
                                                                            2.0)  # fmt: skip
