"""``DELETE /api/flow_runs/{id}`` and ``POST /api/flow_runs/delete`` over SQLite and PostgreSQL,
through the HTTP client's methods; every refusal in the one error shape."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from server_helpers import api_client, flow_run, propose, state, task_run

from cadenza.client.errors import ApiError, NotFound


def _finished(client: Any, *, parent: str | None = None, final: str = "COMPLETED",
              age: float = 0.0, flow_name: str = "etl", lines: int = 3) -> str:  # fmt: skip
    run_id = str(uuid.uuid4())
    created = time.time() - age
    fields: dict[str, Any] = {"created": created, "flow_name": flow_name}
    if parent is not None:
        fields["parent_flow_run_id"] = parent
    assert client.post("/api/flow_runs", json=flow_run(run_id, **fields)).status_code == 201
    propose(client, run_id, "p", state("PENDING", timestamp=created))
    propose(client, run_id, "r", state("RUNNING", timestamp=created))
    if final != "RUNNING":
        propose(client, run_id, "f", state(final, timestamp=created,
                                           result_ref=f"ref-{run_id}"))  # fmt: skip
    task_id = f"t-{run_id}"
    batch = {"task_runs": [task_run(task_id, run_id, created=created)],
             "transitions": [{"run_id": task_id, "flow_run_id": run_id, "transition_id": "tp",
                              "state": state("PENDING", timestamp=created)}],
             "logs": [{"flow_run_id": run_id, "task_run_id": None, "level": 20, "logger": "l",
                       "message": f"m{i}", "timestamp": created}
                      for i in range(lines)]}  # fmt: skip
    answer = client.post("/api/batch", json=batch)
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
    return run_id


def _exists(client: Any, run_id: str) -> bool:
    return client.get(f"/api/flow_runs/{run_id}").status_code == 200


def test_delete_one_flow_run_with_its_subflow_runs(any_client: Any) -> None:
    run = _finished(any_client)
    sub = _finished(any_client, parent=run)
    other = _finished(any_client)
    api = api_client(any_client)

    answer = api.delete_flow_run(run, results=True)

    assert answer["deleted"] == {"flow_runs": 2, "task_runs": 2, "run_states": 8, "logs": 6,
                                 "artifacts": 0, "flow_run_inputs": 0}  # fmt: skip
    assert sorted(answer["result_refs"]) == sorted([f"ref-{run}", f"ref-{sub}"])
    assert not _exists(any_client, run) and not _exists(any_client, sub)
    assert _exists(any_client, other)
    assert any_client.get("/api/task_runs", params={"flow_run_id": run}).json() == []
    with pytest.raises(NotFound, match="No flow run with id"):
        api.delete_flow_run(run)


def test_a_running_run_is_a_conflict_unless_forced(any_client: Any) -> None:
    run = _finished(any_client, final="RUNNING")
    api = api_client(any_client)
    with pytest.raises(ApiError, match="RUNNING, not in a final state") as caught:
        api.delete_flow_run(run)
    assert caught.value.status == 409 and _exists(any_client, run)
    assert api.delete_flow_run(run, force=True)["deleted"]["flow_runs"] == 1
    assert not _exists(any_client, run)


def test_a_bulk_delete_by_filter_pages_with_a_cursor(any_client: Any) -> None:
    old = [_finished(any_client, age=40 * 86400, lines=1) for _ in range(5)]
    failed = _finished(any_client, age=40 * 86400, final="FAILED")
    young = _finished(any_client)
    api = api_client(any_client)

    plan = api.delete_flow_runs(older_than="30d", states=["completed"], dry_run=True)
    assert plan["dry_run"] and plan["deleted"]["flow_runs"] == 5 and plan["cursor"] is None
    assert all(_exists(any_client, r) for r in old)

    deleted, after, calls = 0, None, 0
    while True:
        answer = api.delete_flow_runs(older_than=30 * 86400, states=["COMPLETED"], limit=2,
                                      after=after)  # fmt: skip
        deleted, after, calls = (
            deleted + answer["deleted"]["flow_runs"],
            answer["cursor"],
            calls + 1,
        )
        if after is None:
            break
    assert deleted == 5 and calls == 3
    assert not any(_exists(any_client, r) for r in old)
    assert _exists(any_client, failed) and _exists(any_client, young)
    named = api.delete_flow_runs([failed, young, "unknown-id"], older_than="1d")
    assert named["deleted"]["flow_runs"] == 1 and named["missing"] == ["unknown-id"]
    assert _exists(any_client, young)


BAD_BODIES = [
    ({}, ["request"], "give ids or a filter"),
    ({"older_than": "soon"}, ["body", "older_than"], "not a duration"),
    ({"older_than": -5}, ["body", "older_than"], "at least 0"),
    ({"older_than": "x" * 1_000_000}, ["body", "older_than"], "not a duration"),
    ({"older_than": "\ud800"}, ["body", "older_than"], "not a duration"),
    ({"states": ["DONE"]}, ["body", "states"], "unknown state type"),
    ({"ids": ["a\x00b"]}, ["body", "ids", 0], "control characters"),
    ({"ids": ["x" * 1_000_000]}, ["body", "ids", 0], "at most 200"),
    ({"ids": ["a"], "limit": 0}, ["body", "limit"], "greater than or equal to 1"),
    ({"ids": ["a"], "limit": 10**30}, ["body", "limit"], "less than or equal to 10000"),
    ({"ids": ["a"], "forse": True}, ["body", "forse"], "Extra inputs are not permitted"),
    ({"ids": "a"}, ["body", "ids"], "valid list"),
]


@pytest.mark.parametrize(("body", "loc", "message"), BAD_BODIES)
def test_bad_delete_requests_are_refused_in_the_one_shape(
    client: Any, body: dict[str, Any], loc: list[Any], message: str
) -> None:
    run = _finished(client)
    content = json.dumps(body).encode()  # lone surrogates travel escaped, as json.dumps sends
    response = client.post("/api/flow_runs/delete", content=content,
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["errors"][0]["loc"] == loc and message in answer["detail"], answer
    assert len(response.text) < 2000
    assert _exists(client, run)


def test_malformed_json_and_bad_paths_are_refused(client: Any) -> None:
    response = client.post("/api/flow_runs/delete", content=b"{not json",
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 422 and response.json()["errors"]
    response = client.delete("/api/flow_runs/a%00b")
    assert response.status_code == 422 and "control characters" in response.text
    response = client.delete("/api/flow_runs/x", params={"force": "maybe"})
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == [
        "query", "force"]  # fmt: skip
