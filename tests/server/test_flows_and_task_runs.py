"""``GET /api/flows``, ``/api/task_runs`` and ``/api/task_runs/{id}`` on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from server_helpers import TestClient, flow_run, state, task_run


def _seed(client: TestClient) -> None:
    now = time.time()
    client.post("/api/flow_runs", json=flow_run("f1", created=now - 10))
    client.post("/api/flow_runs", json=flow_run("f2", created=now - 5))
    client.post("/api/flow_runs", json=flow_run("g1", flow_name="report", created=now))
    client.post("/api/flow_runs/f2/set_state",
                json={"transition_id": "f2:1", "state": state("FAILED")})  # fmt: skip
    tasks = [task_run("t1", "f1", created=now - 9), task_run("t2", "f2", created=now - 4),
             task_run("t3", "f2", task_name="load", created=now - 3)]  # fmt: skip
    transitions = [
        {"run_id": t, "flow_run_id": f, "transition_id": f"{t}:{i}", "run_count": 1,
         "state": state(kind)}
        for t, f, kinds in (("t1", "f1", ["PENDING", "RUNNING", "COMPLETED"]),
                            ("t2", "f2", ["PENDING", "RUNNING", "FAILED"]),
                            ("t3", "f2", ["PENDING"]))
        for i, kind in enumerate(kinds)
    ]  # fmt: skip
    answer = client.post("/api/batch", json={"task_runs": tasks, "transitions": transitions})
    assert answer.status_code == 200 and answer.json()["rejected"] == [], answer.text


def test_flows_list_each_flow_with_its_newest_run(any_client: TestClient) -> None:
    _seed(any_client)
    flows = any_client.get("/api/flows").json()
    assert [(f["name"], f["flow_runs"], f["last_flow_run"]["id"]) for f in flows] == [
        ("etl", 2, "f2"),
        ("report", 1, "g1"),
    ]
    assert flows[0]["last_flow_run"]["state"]["type"] == "FAILED"


def test_task_runs_filter_and_show(any_client: TestClient) -> None:
    _seed(any_client)
    every = any_client.get("/api/task_runs").json()
    assert [t["id"] for t in every] == ["t3", "t2", "t1"]  # newest first
    assert [t["flow_run_id"] for t in every] == ["f2", "f2", "f1"]
    failed = any_client.get("/api/task_runs", params={"state": "failed"}).json()
    assert [t["id"] for t in failed] == ["t2"]
    in_f2 = any_client.get("/api/task_runs", params={"flow_run_id": "f2", "task_name": "load"})
    assert [t["id"] for t in in_f2.json()] == ["t3"]
    page = any_client.get("/api/task_runs", params={"limit": 1, "offset": 1}).json()
    assert [t["id"] for t in page] == ["t2"]
    one = any_client.get("/api/task_runs/t1").json()
    assert one["state"]["type"] == "COMPLETED"
    assert [s["type"] for s in one["states"]] == ["PENDING", "RUNNING", "COMPLETED"]
    assert any_client.get("/api/task_runs/nope").status_code == 404
    bad = any_client.get("/api/task_runs", params={"state": "sideways"})
    assert bad.status_code == 422 and "Unknown state type" in bad.json()["detail"]


def test_variables_filter_by_tag_exactly_and_page(any_client: TestClient) -> None:
    for name, tags in (("a", ["etl_1"]), ("b", ["etlx1"]), ("c", ["50%"]), ("d", ["etl_1", "x"])):
        answer = any_client.put(f"/api/variables/{name}", json={"value": 1, "tags": tags})
        assert answer.status_code == 201, answer.text

    def names(**params: object) -> list[str]:
        return [v["name"] for v in any_client.get("/api/variables", params=params).json()]

    assert names(tag="etl_1") == ["a", "d"]  # "_" is not a wildcard: "etlx1" does not match
    assert names(tag="50%") == ["c"]
    assert names(tag="etl") == []  # whole tags only
    assert names(limit=2, offset=1) == ["b", "c"]
    assert names(tag="etl_1", limit=1, offset=1) == ["d"]
