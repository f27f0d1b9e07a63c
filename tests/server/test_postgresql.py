"""The server app on PostgreSQL (a throwaway cluster, a fresh database per test)."""

from __future__ import annotations

import sqlalchemy as sa
from server_helpers import TestClient, flow_run, propose, state, task_run

from cadenza.server.app import create_app


def _batch() -> dict:
    def transition(run_id: str, n: int, st: dict, run_count: int | None = 1) -> dict:
        return {"run_id": run_id, "flow_run_id": "f1", "transition_id": f"{run_id}:{n}",
                "run_count": run_count, "state": st}  # fmt: skip

    transitions = []
    for i in range(3):
        transitions += [
            transition(f"t{i}", 1, state("PENDING"), run_count=0),
            transition(f"t{i}", 2, state("RUNNING")),
            transition(f"t{i}", 3, state("COMPLETED", result_ref=f"ref-{i}")),
        ]
    logs = [
        {"flow_run_id": "f1", "task_run_id": f"t{i}", "level": 20,
         "logger": "cadenza.task_runs", "message": f"line {i}", "timestamp": 1.0 + i}
        for i in range(3)
    ]  # fmt: skip
    return {
        "task_runs": [task_run(f"t{i}", "f1") for i in range(3)],
        "transitions": transitions,
        "logs": logs,
    }


def test_a_run_is_recorded_and_read_back_on_postgresql(pg_url: str, monkeypatch) -> None:
    monkeypatch.delenv("CADENZA_SERVER_API_KEY", raising=False)
    with TestClient(create_app(pg_url)) as client:
        assert client.post("/api/flow_runs", json=flow_run("f1")).status_code == 201
        assert propose(client, "f1", "f1:1", state("PENDING"))["decision"] == "ACCEPT"
        assert propose(client, "f1", "f1:2", state("RUNNING"), run_count=1)["decision"] == "ACCEPT"
        response = client.post("/api/batch", json=_batch())
        assert response.json() == {"accepted": 9, "duplicates": 0, "rejected": []}
        # resent transitions change nothing (log lines carry no id: docs/concepts/client.md)
        again = client.post("/api/batch", json={**_batch(), "logs": []})
        assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 9
        assert propose(client, "f1", "f1:3", state("COMPLETED"))["decision"] == "ACCEPT"

        run = client.get("/api/flow_runs/f1").json()
        assert run["state"]["type"] == "COMPLETED"
        assert [s["type"] for s in run["states"]] == ["PENDING", "RUNNING", "COMPLETED"]
        task_runs = client.get("/api/flow_runs/f1/task_runs").json()
        assert sorted(t["id"] for t in task_runs) == ["t0", "t1", "t2"]
        assert {t["result_ref"] for t in task_runs} == {"ref-0", "ref-1", "ref-2"}
        assert run["counts"]["task_runs_by_state"] == {"COMPLETED": 3}
        assert [line["message"] for line in client.get("/api/flow_runs/f1/logs").json()] == [
            "line 0", "line 1", "line 2",
        ]  # fmt: skip
        assert client.get("/api/flow_runs/nosuchrun").status_code == 404

    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM run_states")).scalar() == 12
    finally:
        engine.dispose()


def test_a_second_start_keeps_the_runs_on_postgresql(pg_url: str) -> None:
    with TestClient(create_app(pg_url)) as client:
        client.post("/api/flow_runs", json=flow_run("f1"))
        propose(client, "f1", "f1:1", state("PENDING"))
    with TestClient(create_app(pg_url)) as client:  # migrations find the schema at head
        runs = client.get("/api/flow_runs").json()
        assert [r["id"] for r in runs] == ["f1"]
        assert runs[0]["state"]["type"] == "PENDING"


def test_a_repeated_flow_run_create_answers_200_on_postgresql(pg_url: str) -> None:
    with TestClient(create_app(pg_url)) as client:
        assert client.post("/api/flow_runs", json=flow_run("f1")).status_code == 201
        assert client.post("/api/flow_runs", json=flow_run("f1")).status_code == 200
