"""The automation routes refuse hostile input with 422 and the one error shape, naming where
the problem is; and a run stuck in Running is cancelled by an automation."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from automation_helpers import events_of, new_flow_run, wait_for

from cadenza._ids import new_id

VALID = {"name": "ok", "trigger": {"expect": ["cadenza.flow-run.Failed"]}, "actions": []}


def post(server: Any, body: Any, path: str = "/automations") -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        server.url + path, content=content, headers={"Content-Type": "application/json"}, timeout=30
    )


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        (b'{"name": "x", "trigger": {', ["body", 26], "JSON decode error"),
        ({**VALID, "trigger": "nope"}, ["body", "trigger"], "valid dictionary"),
        (
            {**VALID, "trigger": {"expect": ["x"], "threshold": -5}},
            ["body", "trigger", "threshold"],
            "greater than or equal to 1",
        ),
        (
            {**VALID, "actions": [{"type": "launch-rockets"}]},
            ["body", "actions", 0],
            "unknown action type",
        ),
        ({**VALID, "name": "n" * 1_000_000}, ["body", "name"], "at most 200 characters"),
        (
            {**VALID, "actions": [{"type": "call-webhook", "block_document_id": "missing"}]},
            ["body", "actions", 0, "block_document_id"],
            "no block with this id",
        ),
        (
            {**VALID, "actions": [{"type": "run-deployment", "deployment_id": "missing"}]},
            ["body", "actions", 0, "deployment_id"],
            "no deployment with this id",
        ),
    ],
)
def test_hostile_automations_are_refused_with_422(server: Any, body: Any, where: list, says: str):
    answer = post(server, body)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert says in problem["detail"] and problem["errors"][0]["loc"] == where
    assert "n" * 1000 not in answer.text


def test_a_lone_surrogate_is_refused_not_stored(server: Any, client: Any):
    raw = b'{"name": "bad \\ud800 name", "trigger": {}}'
    answer = post(server, raw)
    assert answer.status_code == 422 and "lone surrogates" in answer.json()["detail"]
    assert not client.list_automations(name="bad \ud800 name".encode("utf-8", "replace").decode())


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"cursor": "12"}, "two non-negative integers"),
        ({"limit": 0}, "greater than or equal to 1"),
        ({"since": "yesterday"}, "epoch seconds or an ISO 8601 time"),
        ({"event": ["\udc80"]}, "lone surrogates"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_hostile_event_filters_are_refused_with_422(server: Any, body: dict, says: str):
    answer = post(server, body, "/events/filter")
    assert answer.status_code == 422 and says in answer.json()["detail"], answer.text


def test_an_unknown_automation_is_404(server: Any):
    answer = httpx.get(f"{server.url}/automations/{new_id()}", timeout=30)
    assert answer.status_code == 404 and "no automation" in answer.json()["detail"]


def test_a_run_in_running_too_long_is_cancelled(server: Any, client: Any, cleanup: list[str]):
    flow_name = f"stuck-{uuid.uuid4().hex[:8]}"
    created = client.create_automation(
        {
            "name": "cancel stuck runs",
            "trigger": {
                "posture": "Proactive",
                "after": ["cadenza.flow-run.Running"],
                "expect": ["cadenza.flow-run.*"],
                "for_each": ["cadenza.resource.id"],
                "within": 1.5,
                "match_related": {"cadenza.resource.id": f"cadenza.flow.{flow_name}"},
            },
            "actions": [{"type": "cancel-flow-run"}],
        }
    )
    cleanup.append(created["id"])
    runs = [new_flow_run(client, flow_name, "Running") for _ in range(2)]
    new_flow_run(client, flow_name)  # Pending only: not Running, not this trigger's
    client.set_state(
        runs[1],
        {
            "transition_id": "done",
            "state": {"type": "COMPLETED", "name": "Completed", "timestamp": time.time()},
        },
    )

    def state(run_id: str) -> str:
        return str(client.get_flow_run(run_id)["state"]["type"])

    wait_for(lambda: state(runs[0]) != "RUNNING", timeout=20)
    assert state(runs[0]) in ("CANCELLING", "CANCELLED") and state(runs[1]) == "COMPLETED"
    executed = [
        e
        for e in events_of(client, created["id"])
        if e["event"] == "cadenza.automation.action.executed"
    ]
    assert [e["payload"]["result"]["flow_run_id"] for e in executed] == [runs[0]]
