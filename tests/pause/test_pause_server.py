"""Pausing against a real server (SQLite and PostgreSQL): a flow process pauses, this process
resumes it through the API, the flow goes on with the validated input; the routes refuse bad
input in the one error shape, keep flow-run inputs, and time out and cancel paused runs."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pause_helpers import Flows, wait_state

from backends.server_process import ServerProcess
from cadenza import resume_flow_run
from cadenza.exceptions import (
    InvalidRunInput,
    NotPausedError,
    ObjectAlreadyExists,
    ObjectNotFound,
)
from cadenza.input import (
    create_flow_run_input,
    delete_flow_run_input,
    filter_flow_run_input,
    read_flow_run_input,
)

PAUSES = """
from cadenza import flow, pause_flow_run
from cadenza.context import FlowRunContext
from cadenza.input import RunInput

class Approval(RunInput):
    approved: bool
    count: int = 0

@flow
def approve(rounds: int = 1):
    event("started", run_id=FlowRunContext.get().flow_run.id)
    for i in range(rounds):
        got = pause_flow_run(wait_for_input=Approval, timeout=120, key=f"round-{i}")
        event("resumed", round=i, approved=got.approved, count=got.count)
    return True

state = approve(ROUNDS, return_state=True)
event("done", state=state.type.value, message=state.message)
"""


@pytest.fixture
def api(on_server: ServerProcess) -> Iterator[Any]:
    from cadenza.client.http import ApiClient

    client = ApiClient(on_server.url)
    yield client
    client.close()


def test_a_paused_flow_is_resumed_through_the_server_with_validated_input(
    api: Any, flows: Flows, tmp_path: Any
) -> None:
    rounds = 8
    proc = flows.start(PAUSES.replace("ROUNDS", str(rounds)))
    run_id = flows.wait_event(proc, "started")["run_id"]
    latencies = []
    for i in range(rounds):
        wait_state(api.get_flow_run, run_id, "PAUSED")
        if i == 0:
            with pytest.raises(InvalidRunInput) as refused:
                resume_flow_run(run_id, {"approved": "perhaps", "count": -1.5})
            assert str(refused.value) == (
                "Invalid run input: approved: must be of type boolean; count: must be of type "
                "integer"
            )
            assert api.get_flow_run(run_id)["state"]["type"] == "PAUSED"
        time.sleep(random.uniform(0, 0.5))  # at any moment of the flow's polling cycle
        started = time.time()
        resume_flow_run(run_id, {"approved": True, "count": i})
        resumed = [e for e in _wait_events(flows, proc, "resumed", i + 1)][-1]
        assert resumed == {**resumed, "round": i, "approved": True, "count": i}
        latencies.append(resumed["at"] - started)
    done = flows.wait_event(proc, "done")
    assert done["state"] == "COMPLETED"
    assert proc.wait(30) == 0
    states = [s["name"] for s in api.get_flow_run(run_id)["states"]]
    assert states.count("Paused") == rounds and states[-1] == "Completed"
    print(
        f"\nresume latency (server, API call -> flow goes on): median "
        f"{statistics.median(latencies):.3f} s, max {max(latencies):.3f} s over {rounds}"
    )


def _wait_events(flows: Flows, proc: Any, kind: str, n: int, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in flows.events(proc) if e["kind"] == kind]
        if len(found) >= n:
            return found
        assert time.monotonic() < deadline, flows.output(proc)[-3000:]
        time.sleep(0.01)


def test_the_resume_route_answers_in_the_one_error_shape(
    api: Any, on_server: ServerProcess, flows: Flows
) -> None:
    proc = flows.start(PAUSES.replace("ROUNDS", "1"))
    run_id = flows.wait_event(proc, "started")["run_id"]
    wait_state(api.get_flow_run, run_id, "PAUSED")
    url = f"{on_server.url}/flow_runs/{run_id}/resume"
    headers = {"Content-Type": "application/json"}

    bad = httpx.post(url, json={"run_input": {"approved": 3}})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"loc": ["body", "run_input", "approved"], "msg": "must be of type boolean"}
    ]
    surrogate = httpx.post(url, content=b'{"run_input": {"approved": true, "\\ud800": 1}}',
                           headers=headers)  # fmt: skip
    assert surrogate.status_code == 422, surrogate.text
    assert surrogate.json()["errors"][0]["msg"] == "has a field name holding a lone surrogate"
    malformed = httpx.post(url, content=b'{"run_input": {"approved": tru', headers=headers)
    assert malformed.status_code == 422 and malformed.json()["detail"]
    huge = httpx.post(url, json={"run_input": {"approved": True, "x": "y" * 5_000_000}})
    assert huge.status_code == 422
    assert "at most 4 MiB" in huge.json()["detail"]
    assert api.get_flow_run(run_id)["state"]["type"] == "PAUSED"

    ok = httpx.post(url, json={"run_input": {"approved": True, "count": 2}})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {
        "id": run_id,
        "state": {"type": "RUNNING", "name": "Running"},
        "input_key": "paused-round-0-response",
    }
    again = httpx.post(url, json={})
    assert again.status_code == 409
    assert again.json()["errors"] == [{"loc": ["state"], "msg": "not paused"}]
    with pytest.raises(NotPausedError, match="not paused"):
        resume_flow_run(run_id)
    unknown = httpx.post(f"{on_server.url}/flow_runs/nope/resume", json={})
    assert unknown.status_code == 404
    assert flows.wait_event(proc, "done")["state"] == "COMPLETED"
    assert read_flow_run_input("paused-round-0-response", run_id) == {"approved": True, "count": 2}
    schema = read_flow_run_input("paused-round-0-schema", run_id)
    assert schema["properties"]["approved"]["type"] == "boolean"


def test_flow_run_inputs_are_kept_per_run_and_key(api: Any, flows: Flows) -> None:
    proc = flows.start(PAUSES.replace("ROUNDS", "1"))
    run_id = flows.wait_event(proc, "started")["run_id"]
    wait_state(api.get_flow_run, run_id, "PAUSED")
    create_flow_run_input("greeting-a", {"text": "hello"}, flow_run_id=run_id, sender="me")
    create_flow_run_input("greeting-b", [1, 2, 3], flow_run_id=run_id)
    with pytest.raises(ObjectAlreadyExists, match="has an input 'greeting-a' already"):
        create_flow_run_input("greeting-a", 1, flow_run_id=run_id)
    with pytest.raises(ObjectNotFound):
        create_flow_run_input("k", 1, flow_run_id="no-such-run")
    assert read_flow_run_input("greeting-a", run_id) == {"text": "hello"}
    assert read_flow_run_input("missing", run_id) is None
    found = filter_flow_run_input("greeting-", limit=5, flow_run_id=run_id)
    assert [(f["key"], f["value"], f["sender"]) for f in found] == [
        ("greeting-a", {"text": "hello"}, "me"),
        ("greeting-b", [1, 2, 3], None),
    ]
    assert filter_flow_run_input("greeting-", 5, {"greeting-a"}, run_id)[0]["key"] == "greeting-b"
    assert filter_flow_run_input("greeting_", limit=5, flow_run_id=run_id) == []  # no wildcard
    delete_flow_run_input("greeting-a", run_id)
    assert read_flow_run_input("greeting-a", run_id) is None
    resume_flow_run(run_id, {"approved": True})
    assert flows.wait_event(proc, "done")["state"] == "COMPLETED"


WAITS = """
from cadenza import flow, pause_flow_run
from cadenza.context import FlowRunContext

@flow
def waits():
    event("started", run_id=FlowRunContext.get().flow_run.id)
    pause_flow_run(timeout=TIMEOUT)
    event("resumed")

state = waits(return_state=True)
event("done", state=state.type.value, message=state.message)
"""


def test_a_paused_run_times_out_and_a_cancelled_one_stops_waiting(api: Any, flows: Flows) -> None:
    timing_out = flows.start(WAITS.replace("TIMEOUT", "1"))
    run_id = flows.wait_event(timing_out, "started")["run_id"]
    done = flows.wait_event(timing_out, "done", timeout=30)
    assert done["state"] == "FAILED"
    assert "never resumed within 1 s" in done["message"]
    assert api.get_flow_run(run_id)["state"]["type"] == "FAILED"

    cancelled = flows.start(WAITS.replace("TIMEOUT", "300"))
    run_id = flows.wait_event(cancelled, "started")["run_id"]
    wait_state(api.get_flow_run, run_id, "PAUSED")
    started = time.time()
    api.cancel_flow_run(run_id, "no longer needed")
    done = flows.wait_event(cancelled, "done", timeout=40)
    assert done["state"] == "CANCELLED"
    assert not [e for e in flows.events(cancelled) if e["kind"] == "resumed"]
    assert api.get_flow_run(run_id)["state"]["type"] == "CANCELLED"
    print(f"\ncancel latency while paused (server): {done['at'] - started:.3f} s")
