"""`cadenza.store.run_control` on SQLite and PostgreSQL: what a cancellation does to a run in
each state, the cascade to subflow runs, `force`, and the end of unacknowledged requests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cadenza.store import run_control, urls
from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import flow_runs, run_states, task_runs


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'record.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    urls.prepare(url)
    database = SqlDatabase(url)
    yield database
    database.close()


def add(db: SqlDatabase, run_id: str, state: str | None, name: str | None = None,
        parent: str | None = None, **extra: Any) -> None:  # fmt: skip
    with db.write() as conn:
        conn.execute(flow_runs.insert().values(
            id=run_id, name=run_id, flow_name="f", created=time.time(), state_type=state,
            state_name=name or (state.title() if state else None), parent_flow_run_id=parent,
            **extra,
        ))  # fmt: skip


def add_task(db: SqlDatabase, task_id: str, flow_run_id: str, state: str) -> None:
    with db.write() as conn:
        conn.execute(task_runs.insert().values(
            id=task_id, flow_run_id=flow_run_id, name=task_id, task_name="t", task_key="t",
            created=time.time(), state_type=state, state_name=state.title(),
        ))  # fmt: skip


def state_of(db: SqlDatabase, run_id: str, table: sa.Table = flow_runs) -> tuple[str, str]:
    with db.read() as conn:
        row = conn.execute(
            sa.select(table.c.state_type, table.c.state_message).where(table.c.id == run_id)
        ).one()
    return row[0], row[1]


def test_a_run_nothing_runs_is_cancelled_at_once(db: SqlDatabase) -> None:
    add(db, "scheduled", "SCHEDULED")
    add(db, "unclaimed", "PENDING")
    add(db, "suspended", "PAUSED", "Suspended")
    add(db, "claimed", "PENDING", worker_name="w1")
    add(db, "paused", "PAUSED", pid=123)  # its process waits in pause_flow_run
    for rid in ("scheduled", "unclaimed", "suspended"):
        answer = run_control.cancel_flow_run(db, rid, "not needed")
        assert answer["cancelled"] == [rid] and answer["cancelling"] == []
        assert state_of(db, rid) == ("CANCELLED", "Flow run was cancelled: not needed")
    for rid in ("claimed", "paused"):
        answer = run_control.cancel_flow_run(db, rid)
        assert answer["cancelling"] == [rid]
        assert state_of(db, rid) == ("CANCELLING", "Cancellation requested")


def test_a_running_run_goes_cancelling_with_its_active_subflows(db: SqlDatabase) -> None:
    add(db, "parent", "RUNNING", pid=1)
    add(db, "child", "RUNNING", parent="parent", pid=1)
    add(db, "grandchild", "SCHEDULED", parent="child")
    add(db, "done-child", "COMPLETED", parent="parent")
    answer = run_control.cancel_flow_run(db, "parent")
    assert answer["state"]["type"] == "RUNNING"  # as it was before the request
    assert sorted(answer["cancelling"]) == ["child", "parent"]
    assert answer["cancelled"] == ["grandchild"]
    assert state_of(db, "done-child")[0] == "COMPLETED"
    again = run_control.cancel_flow_run(db, "parent")  # asked twice: nothing changes
    assert again["cancelling"] == [] and again["cancelled"] == []
    with db.read() as conn:
        kinds = [r.type for r in conn.execute(sa.select(run_states.c.type).where(
            run_states.c.run_id == "parent"))]  # fmt: skip
    assert kinds == ["CANCELLING"]


def test_an_ended_run_is_left_alone_and_an_unknown_one_is_named(db: SqlDatabase) -> None:
    add(db, "done", "COMPLETED")
    answer = run_control.cancel_flow_run(db, "done")
    assert answer["final"] is True and answer["state"]["type"] == "COMPLETED"
    assert state_of(db, "done")[0] == "COMPLETED"
    with pytest.raises(LookupError, match="'nope'"):
        run_control.cancel_flow_run(db, "nope")


def test_force_cancels_everything_with_its_task_runs(db: SqlDatabase) -> None:
    add(db, "run", "RUNNING", pid=1)
    add_task(db, "t-running", "run", "RUNNING")
    add_task(db, "t-done", "run", "COMPLETED")
    answer = run_control.cancel_flow_run(db, "run", "killed by its worker", force=True)
    assert answer["cancelled"] == ["run"]
    assert state_of(db, "run")[0] == "CANCELLED"
    assert state_of(db, "t-running", task_runs)[0] == "CANCELLED"
    assert state_of(db, "t-done", task_runs)[0] == "COMPLETED"


def test_a_request_nobody_acknowledges_ends_after_the_grace(db: SqlDatabase) -> None:
    add(db, "run", "RUNNING", pid=1)
    add_task(db, "t", "run", "RUNNING")
    asked = time.time()
    run_control.cancel_flow_run(db, "run", now=asked)
    assert run_control.expire_cancellations(db, 30, now=asked + 10) == []
    assert run_control.cancelling_since(db, ["run"]) == {"run": pytest.approx(asked)}
    assert run_control.expire_cancellations(db, 30, now=asked + 31) == ["run"]
    state, message = state_of(db, "run")
    assert state == "CANCELLED" and "did not acknowledge the cancellation within 30 s" in message
    assert state_of(db, "t", task_runs)[0] == "CANCELLED"
    assert run_control.expire_cancellations(db, 30, now=asked + 60) == []  # once


def test_states_are_read_for_many_runs(db: SqlDatabase) -> None:
    for i in range(1200):  # more than one IN (...) chunk
        add(db, f"r{i}", "RUNNING")
    found = run_control.flow_run_states(db, [f"r{i}" for i in range(1200)] + ["missing"])
    assert len(found) == 1200 and found["r7"] == ("RUNNING", "Running")
