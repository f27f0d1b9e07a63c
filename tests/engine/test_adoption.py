"""Adopting an existing flow run: a flow called inside `adopting(...)` runs AS that run.

The run is created ahead of time (Scheduled or Late, as a scheduler would) in the embedded
record; here it is run by this process or by a child process, and the record keeps one row.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from cadenza import flow, task
from cadenza.backends import get_backend
from cadenza.engine.adoption import AdoptedRun, adopting
from cadenza.exceptions import FlowRunNotRunnable
from cadenza.runs import FlowRun
from cadenza.states import Completed, Late, Scheduled, State, StateType
from cadenza.store.owners import PROCESS


@task
def double(x: int) -> int:
    return 2 * x


@flow(tags=["from-flow"])
def etl(n: int) -> int:
    return sum(double(i) for i in range(n))


@flow
def parent() -> str:
    return etl(2) and "done"


def schedule(
    name: str = "nightly-1", parameters: dict | None = None, state: State | None = None
) -> AdoptedRun:
    """Record a flow run ahead of time, as a scheduler does; the AdoptedRun a worker reads."""
    backend = get_backend()
    run = FlowRun("etl", name, parameters or {"n": 3}, tags=("nightly",))
    backend.create_flow_run(run)
    decision = backend.propose(run, state or Scheduled(scheduled_time=time.time()))
    assert decision.kind.value == "ACCEPT", decision
    backend.flush()
    return AdoptedRun(run.id, run.name, run.state, run.run_count, run.tags)


def history(record, run_id: str) -> list[str]:
    rows = record("SELECT name FROM run_states WHERE run_id = ? ORDER BY id", run_id)
    return [name for (name,) in rows]


def test_an_adopted_run_is_the_scheduled_run_not_a_new_one(record) -> None:
    adopted = schedule()
    with adopting(adopted):
        state = etl(n=3, return_state=True)
    assert state.is_completed() and state.result() == 6
    assert state.state_details.flow_run_id == adopted.id
    rows = record("SELECT id, name, state_type, run_count, pid, hostname, process_start, tags, "
                  "entrypoint FROM flow_runs")  # fmt: skip
    assert len(rows) == 1
    run_id, name, state_type, run_count, pid, hostname, start, tags, entrypoint = rows[0]
    assert (run_id, name, state_type, run_count) == (adopted.id, "nightly-1", "COMPLETED", 1)
    assert (pid, hostname, start) == (PROCESS.pid, PROCESS.hostname, PROCESS.start)
    assert json.loads(tags) == ["nightly", "from-flow"]
    assert entrypoint is not None and entrypoint.endswith("test_adoption.py:etl")
    assert history(record, adopted.id) == ["Scheduled", "Pending", "Running", "Completed"]
    tasks = record("SELECT state_type FROM task_runs WHERE flow_run_id = ?", adopted.id)
    assert tasks == [("COMPLETED",)] * 3


def test_a_late_run_is_adopted_and_a_later_call_is_a_new_run(record) -> None:
    adopted = schedule(state=Late(scheduled_time=time.time() - 60))
    with adopting(adopted):
        assert etl(1) == 0
        assert etl(1) == 0  # only the first top-level call adopts
    assert history(record, adopted.id) == ["Late", "Pending", "Running", "Completed"]
    assert len(record("SELECT id FROM flow_runs")) == 2


def test_a_run_scheduled_for_a_moment_later_waits_for_its_time(record) -> None:
    adopted = schedule(state=Scheduled(scheduled_time=time.time() + 0.3))
    started = time.time()
    with adopting(adopted):
        assert etl(1) == 0
    assert time.time() - started >= 0.25
    assert history(record, adopted.id) == ["Scheduled", "Pending", "Running", "Completed"]


def test_subflows_of_an_adopted_run_are_new_runs(record) -> None:
    adopted = schedule()
    with adopting(adopted):
        assert parent() == "done"
    rows = record("SELECT id, parent_flow_run_id, flow_name FROM flow_runs ORDER BY created")
    assert len(rows) == 2
    (child,) = [r for r in rows if r[0] != adopted.id]
    assert child[1] == adopted.id and child[2] == "etl"


@pytest.mark.parametrize("final", ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"])
def test_adopting_a_final_run_is_refused_before_the_body_runs(record, final: str) -> None:
    calls = []

    @flow
    def body() -> None:
        calls.append(1)

    adopted = AdoptedRun("run-1", "done-already", State(StateType(final)))
    with adopting(adopted), pytest.raises(FlowRunNotRunnable) as caught:
        body()
    assert "run-1" in str(caught.value) and final.title() in str(caught.value)
    assert caught.value.flow_run_id == "run-1"
    assert calls == [] and record("SELECT id FROM flow_runs") == []


def test_a_completed_run_in_the_record_is_not_run_again(record) -> None:
    adopted = schedule()
    with adopting(adopted):
        etl(2)
    again = AdoptedRun(adopted.id, adopted.name, Completed(), 1)
    with adopting(again), pytest.raises(FlowRunNotRunnable, match=adopted.id):
        etl(2)
    assert history(record, adopted.id) == ["Scheduled", "Pending", "Running", "Completed"]


def test_a_parameter_that_fails_validation_ends_the_adopted_run_failed(record) -> None:
    adopted = schedule(parameters={"n": "many"})
    with adopting(adopted):
        state = etl(n="many", return_state=True)
    assert state.is_failed()
    rows = record("SELECT id, state_type FROM flow_runs")
    assert rows == [(adopted.id, "FAILED")]
    assert history(record, adopted.id) == ["Scheduled", "Failed"]


CHILD = """
import json, os, sys
sys.path.insert(0, {here!r})
from cadenza.engine.adoption import AdoptedRun, adopting
from cadenza.states import Scheduled
from test_adoption import etl

with adopting(AdoptedRun({run_id!r}, {name!r}, Scheduled(), 0, ["nightly"])):
    print(etl(**json.loads({parameters!r})))
print(os.getpid())
"""


def test_a_child_process_runs_the_scheduled_run(record, run_python) -> None:
    adopted = schedule(parameters={"n": 4})
    (parameters,) = record("SELECT parameters FROM flow_runs WHERE id = ?", adopted.id)[0]
    here = os.path.dirname(__file__)
    code = CHILD.format(here=here, run_id=adopted.id, name=adopted.name, parameters=parameters)
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    total, pid = done.stdout.split()
    assert total == "12"
    rows = record("SELECT id, state_type, pid FROM flow_runs")
    assert rows == [(adopted.id, "COMPLETED", int(pid))]
    assert history(record, adopted.id) == ["Scheduled", "Pending", "Running", "Completed"]
    assert len(record("SELECT id FROM task_runs WHERE flow_run_id = ?", adopted.id)) == 4
