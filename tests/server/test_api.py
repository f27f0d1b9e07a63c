"""The HTTP API in-process: auth, run creation, set_state decisions, errors and limits."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from server_helpers import API_KEY, flow_run, propose, state

from cadenza.server.guard import MAX_BODY


# -- auth -----------------------------------------------------------------------------------------
def test_health_needs_no_auth(authed) -> None:
    response = authed.get("/api/health", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {API_KEY}", API_KEY])
def test_every_other_route_needs_the_key(authed, header) -> None:
    headers = {"Authorization": header} if header else {"Authorization": ""}
    for method, path in [
        ("GET", "/api/version"),
        ("GET", "/api/flow_runs"),
        ("GET", "/api/openapi.json"),
        ("GET", "/api/health/"),  # only the exact health path is open
        ("POST", "/api/flow_runs"),
        ("POST", "/api/batch"),
    ]:
        response = authed.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert API_KEY not in response.text
        assert "API key" in response.json()["detail"]


def test_right_key_is_accepted(authed) -> None:
    assert authed.get("/api/version").json()["api_version"] == 1


def test_key_from_the_environment(db_url, monkeypatch) -> None:
    from server_helpers import TestClient

    from cadenza.server.app import create_app

    monkeypatch.setenv("CADENZA_SERVER_API_KEY", "from-env")
    with TestClient(create_app(db_url)) as client:
        assert client.get("/api/version").status_code == 401
        ok = client.get("/api/version", headers={"Authorization": "Bearer from-env"})
        assert ok.status_code == 200


def test_openapi_describes_the_routes(client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {
        "/api/health",
        "/api/version",
        "/api/flow_runs",
        "/api/flow_runs/{run_id}/set_state",
        "/api/batch",
        "/api/flow_runs/{ref}",
        "/api/flow_runs/{ref}/logs",
    } <= set(paths)


# -- flow runs and transitions --------------------------------------------------------------------
def test_create_flow_run_is_idempotent(client, db_path: Path) -> None:
    first = client.post("/api/flow_runs", json=flow_run("r1", retries=2))
    assert (first.status_code, first.json()) == (201, {"id": "r1"})
    again = client.post("/api/flow_runs", json=flow_run("r1", name="other"))
    assert (again.status_code, again.json()) == (200, {"id": "r1"})
    row = (
        sqlite3.connect(db_path)
        .execute(
            "SELECT name, parameters, tags, retries, state_type FROM flow_runs WHERE id = 'r1'"
        )
        .fetchone()
    )
    assert row == ("name-r1", '{"n": 1}', '["t1"]', 2, None)


def test_a_run_through_to_completed_and_rejected_after(client, db_path: Path) -> None:
    client.post("/api/flow_runs", json=flow_run("r1"))
    assert propose(client, "r1", "t1", state("PENDING"))["decision"] == "ACCEPT"
    assert propose(client, "r1", "t2", state("RUNNING"), run_count=1)["decision"] == "ACCEPT"
    done = state("COMPLETED", result_ref="local://results/abc")
    assert propose(client, "r1", "t3", done, run_count=1) == {
        "decision": "ACCEPT",
        "reason": "accepted",
        "delay": 0.0,
    }
    rejected = propose(client, "r1", "t4", state("RUNNING"), run_count=2)
    assert rejected["decision"] == "REJECT"
    assert "Completed" in rejected["reason"]

    conn = sqlite3.connect(db_path)
    row = conn.execute(
        "SELECT state_type, state_name, run_count, result_ref, start_time IS NOT NULL, "
        "end_time >= start_time FROM flow_runs WHERE id = 'r1'"
    ).fetchone()
    assert row == ("COMPLETED", "Completed", 1, "local://results/abc", 1, 1)
    rows = conn.execute(
        "SELECT transition_id, run_id, flow_run_id, type FROM run_states ORDER BY id"
    ).fetchall()
    assert rows == [
        ("t1", "r1", "r1", "PENDING"),
        ("t2", "r1", "r1", "RUNNING"),
        ("t3", "r1", "r1", "COMPLETED"),
    ]


def test_repeated_transition_is_applied_once(client, db_path: Path) -> None:
    client.post("/api/flow_runs", json=flow_run("r1"))
    pending = state("PENDING")
    assert propose(client, "r1", "t1", pending)["reason"] == "accepted"
    propose(client, "r1", "t2", state("RUNNING"), run_count=1)
    again = propose(client, "r1", "t1", pending)  # would be rejected if decided again
    assert again == {"decision": "ACCEPT", "reason": "transition already applied", "delay": 0.0}
    count = sqlite3.connect(db_path).execute("SELECT count(*) FROM run_states").fetchone()[0]
    assert count == 2


def test_unknown_run_is_aborted(client) -> None:
    answer = propose(client, "nope", "t1", state("PENDING"))
    assert answer["decision"] == "ABORT"
    assert "nope" in answer["reason"]


def test_scheduled_retry_waits_until_due(client, db_path: Path) -> None:
    client.post("/api/flow_runs", json=flow_run("r1", retries=1))
    propose(client, "r1", "t1", state("PENDING"))
    propose(client, "r1", "t2", state("RUNNING"), run_count=1)
    propose(client, "r1", "t3", state("FAILED", message="boom"), run_count=1)
    due = time.time() + 30
    retry = state("SCHEDULED", "AwaitingRetry", details={"scheduled_time": due, "retry_count": 1})
    assert propose(client, "r1", "t4", retry, run_count=1)["decision"] == "ACCEPT"

    answer = propose(client, "r1", "t5", state("RUNNING", "Retrying"), run_count=2)
    assert answer["decision"] == "WAIT"
    assert 25 < answer["delay"] <= 30
    details = (
        sqlite3.connect(db_path)
        .execute("SELECT details FROM run_states WHERE transition_id = 't4'")
        .fetchone()[0]
    )
    assert json.loads(details) == {"scheduled_time": due, "retry_count": 1}


def test_no_retry_without_retries_left(client) -> None:
    client.post("/api/flow_runs", json=flow_run("r1"))  # retries=0
    propose(client, "r1", "t1", state("PENDING"))
    propose(client, "r1", "t2", state("RUNNING"), run_count=1)
    propose(client, "r1", "t3", state("FAILED"), run_count=1)
    answer = propose(client, "r1", "t4", state("SCHEDULED", "AwaitingRetry"), run_count=1)
    assert answer["decision"] == "REJECT"
    assert "no retries left" in answer["reason"]


def test_version(client) -> None:
    from cadenza import __version__

    assert client.get("/api/version").json() == {
        "api_version": 1,
        "cadenza_version": __version__,
    }


# -- malformed input ------------------------------------------------------------------------------
SECRET = "sk-live-DO-NOT-ECHO-1234"


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/api/flow_runs", {"id": "r1"}, "body.name: Field required"),
        ("/api/flow_runs", {**flow_run("r1"), "created": SECRET}, "body.created"),
        ("/api/flow_runs", {**flow_run("r1"), "retries": -1}, "body.retries"),
        ("/api/flow_runs", {**flow_run("r1"), "tags": SECRET}, "body.tags"),
        ("/api/flow_runs", [SECRET], "body"),
        (
            "/api/flow_runs/r1/set_state",
            {"transition_id": "t", "state": {"type": SECRET, "timestamp": 1}},
            "body.state.type: Input should be 'SCHEDULED'",
        ),
        ("/api/flow_runs/r1/set_state", {"state": {}}, "body.transition_id: Field required"),
        ("/api/batch", {"logs": [{"level": SECRET}]}, "body.logs.0.level"),
        ("/api/flow_runs", {**flow_run("r1"), "created": 1e300}, "body.created"),
        ("/api/flow_runs", {**flow_run("r1"), "retries": 2**70}, "body.retries"),
        (
            "/api/flow_runs/r1/set_state",
            {
                "transition_id": "t",
                "state": {"type": "PENDING", "timestamp": 1, "details": {"scheduled_time": SECRET}},
            },
            "body.state.details.scheduled_time",
        ),
        ("/api/batch", {"transitions": [{"run_id": "x"}]}, "body.transitions.0.state"),
    ],
)
def test_malformed_payloads_get_a_clear_422_without_the_values(
    client, path, body, expected
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert expected in detail
    assert SECRET not in response.text


def test_non_finite_numbers_are_a_422(client) -> None:
    body = b'{"id": "r1", "name": "n", "flow_name": "f", "created": NaN}'
    response = client.post(
        "/api/flow_runs", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_invalid_json_is_a_422(client) -> None:
    response = client.post(
        "/api/flow_runs",
        content=b'{"id": "' + SECRET.encode() + b'", ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]
    assert SECRET not in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=bogus", "query.state: Unknown state type; expected one of: SCHEDULED"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("since=yesterday", "query.since: must be epoch seconds or an ISO 8601 time"),
    ],
)
def test_bad_filters_are_a_422(client, query, expected) -> None:
    response = client.get(f"/api/flow_runs?{query}")
    assert response.status_code == 422
    assert expected in response.json()["detail"]
    assert query.split("=")[1] not in response.text  # the value sent is not repeated


def test_unknown_run_reads_are_404(client) -> None:
    for path in ("/api/flow_runs/nope", "/api/flow_runs/nope/logs", "/api/flow_runs/latest"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["detail"]


# -- body size ------------------------------------------------------------------------------------
def test_oversized_body_by_content_length_is_413(client) -> None:
    response = client.post(
        "/api/batch", content=b" " * (MAX_BODY + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_oversized_streamed_body_is_413(client) -> None:
    def chunks():
        for _ in range(9):
            yield b" " * (1024 * 1024)

    response = client.post(
        "/api/batch", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_body_just_under_the_limit_is_read(client) -> None:
    body = b'{"logs": []}' + b" " * (MAX_BODY - 20)
    response = client.post("/api/batch", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "duplicates": 0, "rejected": []}
