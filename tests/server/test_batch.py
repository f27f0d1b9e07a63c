"""``POST /api/batch``: task runs, their transitions (decided by the policy) and logs at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from server_helpers import flow_run, state, task_run


def _transition(run_id: str, tid: str, st: dict, run_count: int | None = 1) -> dict:
    return {
        "run_id": run_id,
        "flow_run_id": "f1",
        "transition_id": tid,
        "run_count": run_count,
        "state": st,
    }


def _batch(n_tasks: int = 3) -> dict:
    tasks = [task_run(f"t{i}", "f1", retries=i) for i in range(n_tasks)]
    transitions = []
    for i in range(n_tasks):
        transitions += [
            _transition(f"t{i}", f"t{i}:1", state("PENDING"), run_count=0),
            _transition(f"t{i}", f"t{i}:2", state("RUNNING")),
            _transition(f"t{i}", f"t{i}:3", state("COMPLETED", result_ref=f"ref-{i}")),
        ]
    logs = [
        {
            "flow_run_id": "f1",
            "task_run_id": f"t{i}",
            "level": 20,
            "logger": "cadenza.task_runs",
            "message": f"line {i}",
            "timestamp": 1.0 + i,
        }
        for i in range(n_tasks)
    ]
    return {"task_runs": tasks, "transitions": transitions, "logs": logs}


def test_batch_creates_task_runs_applies_transitions_and_logs(client, db_path: Path) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    response = client.post("/api/batch", json=_batch())
    assert response.status_code == 200
    assert response.json() == {"accepted": 9, "duplicates": 0, "rejected": []}

    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT id, flow_run_id, state_type, run_count, retries, result_ref, "
        "start_time <= end_time FROM task_runs ORDER BY id"
    ).fetchall()
    assert rows == [
        ("t0", "f1", "COMPLETED", 1, 0, "ref-0", 1),
        ("t1", "f1", "COMPLETED", 1, 1, "ref-1", 1),
        ("t2", "f1", "COMPLETED", 1, 2, "ref-2", 1),
    ]
    states = conn.execute("SELECT run_id, flow_run_id, type FROM run_states ORDER BY id").fetchall()
    assert states[:3] == [
        ("t0", "f1", "PENDING"),
        ("t0", "f1", "RUNNING"),
        ("t0", "f1", "COMPLETED"),
    ]
    assert len(states) == 9
    logs = conn.execute("SELECT task_run_id, message FROM logs ORDER BY id").fetchall()
    assert logs == [("t0", "line 0"), ("t1", "line 1"), ("t2", "line 2")]

    shown = client.get("/api/flow_runs/f1/task_runs").json()
    assert [t["state"]["type"] for t in shown] == ["COMPLETED"] * 3
    assert [s["type"] for s in shown[0]["states"]] == [
        "PENDING",
        "RUNNING",
        "COMPLETED",
    ]


def test_repeated_batch_is_applied_once(client, db_path: Path) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    batch = _batch()
    client.post("/api/batch", json=batch)
    again = client.post("/api/batch", json={**batch, "logs": []})
    assert again.json() == {"accepted": 0, "duplicates": 9, "rejected": []}
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM run_states").fetchone() == (9,)
    assert conn.execute("SELECT count(*) FROM task_runs").fetchone() == (3,)


def test_batch_rejects_what_the_policy_refuses_and_unknown_runs(client, db_path: Path) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    client.post("/api/batch", json=_batch(1))
    response = client.post(
        "/api/batch",
        json={
            "transitions": [
                _transition("t0", "t0:4", state("RUNNING"), run_count=2),  # after Completed
                _transition("ghost", "g:1", state("PENDING")),
                _transition("t0", "t0:1", state("PENDING")),  # a duplicate
            ]
        },
    )
    result = response.json()
    assert (result["accepted"], result["duplicates"]) == (0, 1)
    reasons = {r["transition_id"]: r["reason"] for r in result["rejected"]}
    assert reasons.keys() == {"t0:4", "g:1"}
    assert reasons["t0:4"].startswith("REJECT: ") and "Completed" in reasons["t0:4"]
    assert reasons["g:1"].startswith("ABORT: ") and "ghost" in reasons["g:1"]
    row = sqlite3.connect(db_path).execute("SELECT state_type FROM task_runs").fetchone()
    assert row == ("COMPLETED",)


def test_transitions_are_decided_in_order_within_a_batch(client) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    response = client.post(
        "/api/batch",
        json={
            "task_runs": [task_run("t0", "f1")],
            "transitions": [
                _transition("t0", "a", state("RUNNING")),  # no state yet: must pend first
                _transition("t0", "b", state("PENDING"), run_count=0),
                _transition("t0", "c", state("RUNNING")),
                _transition("t0", "d", state("FAILED")),
                _transition("t0", "e", state("SCHEDULED", "AwaitingRetry")),  # retries=0
            ],
        },
    )
    result = response.json()
    assert result["accepted"] == 3
    assert [r["transition_id"] for r in result["rejected"]] == ["a", "e"]
    assert "no retries left" in result["rejected"][1]["reason"]


def test_flow_run_transitions_may_come_in_a_batch(client) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    response = client.post(
        "/api/batch", json={"transitions": [_transition("f1", "x", state("PENDING"))]}
    )
    assert response.json()["accepted"] == 1
    assert client.get("/api/flow_runs/f1").json()["state"]["type"] == "PENDING"
