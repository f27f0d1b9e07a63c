"""A flow run of any size is read in bounded pieces: a summary, then pages of task runs, logs
and subflow runs that together hold every record exactly once, in order (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest
from server_helpers import TestClient, flow_run, state, task_run

TASKS = 2_500
LOGS = 6_000


def _seed(client: TestClient) -> None:
    """Flow run ``big``: `TASKS` task runs (3 states each, created in order), `LOGS` log lines
    and 3 subflow runs."""
    assert client.post("/api/flow_runs", json=flow_run("big", created=1000.0)).status_code == 201
    for i in range(3):
        sub = flow_run(f"sub-{i}", parent_flow_run_id="big", created=2000.0 + i)
        assert client.post("/api/flow_runs", json=sub).status_code == 201
    for start in range(0, TASKS, 500):
        ids = [f"t{i:05d}" for i in range(start, min(start + 500, TASKS))]
        transitions = [
            {"run_id": t, "flow_run_id": "big", "transition_id": f"{t}:{n}", "run_count": 1,
             "state": state(kind, message=f"{t} {kind}")}
            for t in ids
            for n, kind in enumerate(("PENDING", "RUNNING", "COMPLETED" if t < "t02000" else
                                      "FAILED"))
        ]  # fmt: skip
        tasks = [task_run(t, "big", created=1000.0 + int(t[1:])) for t in ids]
        answer = client.post("/api/batch", json={"task_runs": tasks, "transitions": transitions})
        assert answer.status_code == 200 and not answer.json()["rejected"], answer.text
    for start in range(0, LOGS, 2000):
        logs = [
            {"flow_run_id": "big", "task_run_id": None, "level": 20, "logger": "cadenza",
             "message": f"line {i}", "timestamp": 1.0 + i}
            for i in range(start, start + 2000)
        ]  # fmt: skip
        assert client.post("/api/batch", json={"logs": logs}).status_code == 200


def test_the_summary_is_bounded_and_pages_hold_everything_once_in_order(any_client) -> None:
    client = any_client
    _seed(client)
    response = client.get("/api/flow_runs/big")
    assert response.status_code == 200
    assert len(response.content) < 5_000  # was every task run, state and log: megabytes
    summary = response.json()
    assert "task_runs" not in summary and "logs" not in summary
    assert [s["id"] for s in summary["subflow_runs"]] == ["sub-0", "sub-1", "sub-2"]
    assert summary["counts"] == {
        "task_runs": TASKS,
        "task_runs_by_state": {"COMPLETED": 2000, "FAILED": 500},
        "subflow_runs": 3,
        "logs": LOGS,
    }

    task_runs: list[dict] = []
    while page := client.get(
        "/api/flow_runs/big/task_runs", params={"limit": 700, "offset": len(task_runs)}
    ).json():
        assert len(page) <= 700
        task_runs += page
    assert [t["id"] for t in task_runs] == [f"t{i:05d}" for i in range(TASKS)]
    assert all(
        [s["message"] for s in t["states"]] == [f"{t['id']} {k}" for k in ("PENDING", "RUNNING",
                                                                           t["state"]["type"])]
        for t in task_runs
    )  # fmt: skip

    by_cursor: list[dict] = []
    params: dict = {"limit": 1000}
    while page := client.get("/api/flow_runs/big/logs", params=params).json():
        by_cursor += page
        params["after"] = page[-1]["id"]
    assert [line["message"] for line in by_cursor] == [f"line {i}" for i in range(LOGS)]
    by_offset = client.get("/api/flow_runs/big/logs", params={"limit": 2500, "offset": 5000})
    assert by_offset.json() == by_cursor[5000:]
    default = client.get("/api/flow_runs/big/logs").json()
    assert default == by_cursor[:200]

    subflows = client.get("/api/flow_runs/big/subflow_runs", params={"limit": 2, "offset": 1})
    assert [s["id"] for s in subflows.json()] == ["sub-1", "sub-2"]


@pytest.mark.parametrize("route", ["task_runs", "logs", "subflow_runs"])
@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 10_001}, {"offset": -1}])
def test_pages_are_bounded(client, route: str, params: dict) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    response = client.get(f"/api/flow_runs/f1/{route}", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]
    assert client.get(f"/api/flow_runs/nope/{route}").status_code == 404
    assert client.get(f"/api/flow_runs/f1/{route}", params={"limit": 10_000}).json() == []


def test_a_page_of_long_messages_ends_early(client, monkeypatch) -> None:
    """Count is not the only bound: a page stops once its text passes PAGE_TEXT characters."""
    from cadenza.store import queries

    monkeypatch.setattr(queries, "PAGE_TEXT", 10_000)
    client.post("/api/flow_runs", json=flow_run("f1"))
    logs = [
        {"flow_run_id": "f1", "level": 20, "logger": "l", "message": f"{i}" * 3000,
         "timestamp": 1.0}
        for i in range(10)
    ]  # fmt: skip
    client.post("/api/batch", json={"logs": logs})
    sizes, messages, params = [], [], {"limit": 100}
    while page := client.get("/api/flow_runs/f1/logs", params=params).json():
        sizes.append(len(page))
        messages += [line["message"] for line in page]
        params["after"] = page[-1]["id"]
    assert sizes == [4, 4, 2]  # 12,000 characters: the fourth line passes the bound
    assert messages == [line["message"] for line in logs]
