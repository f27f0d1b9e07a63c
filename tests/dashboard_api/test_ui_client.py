"""The client's dashboard methods against real server processes (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
from dashboard_writes import T0, log, task, transition

from cadenza.client.http import ApiClient


@pytest.fixture(params=["sqlite_server", "postgresql_server"])
def client(request):
    server = request.getfixturevalue(request.param)
    with ApiClient(server.url, retry_time=5) as api:
        yield api


def test_every_dashboard_route_through_the_client(client) -> None:
    flow = f"dash-{uuid.uuid4().hex[:8]}"
    run = str(uuid.uuid4())
    client.request(
        "POST",
        "/flow_runs",
        json={"id": run, "name": "r", "flow_name": flow, "tags": ["a b"], "created": T0},
    )
    t = task(run, name="work", created=T0)
    moves = [
        transition(run, None, "PENDING", T0),
        transition(run, None, "RUNNING", T0 + 1),
        transition(t["id"], run, "PENDING", T0 + 1),
        transition(t["id"], run, "RUNNING", T0 + 2, run_count=1),
        transition(t["id"], run, "COMPLETED", T0 + 4),
    ]
    lines = [log(run, f"needle {flow}", 40, t["id"]), log(run, "hay", 20)]
    client.request("POST", "/batch", json={"task_runs": [t], "transitions": moves, "logs": lines})

    page = client.read_flow_runs_page(flow_name=flow, tags=["a b"], states=["running"], limit=5)
    assert [i["id"] for i in page["items"]] == [run] and page["total"] == 1
    assert page["items"][0]["error_count"] == 1
    chart = client.read_flow_run_history(since=T0 - 60, until=T0 + 60, buckets=2, flow_name=flow)
    assert chart["buckets"][1]["counts"] == {"RUNNING": 1}
    line = client.read_flow_run_timeline(run)
    assert line["names"] == ["work"] and line["start"] == [1.0] and line["end"] == [3.0]
    window = client.read_flow_run_logs_window(run, level=40, q="NEEDLE")
    assert [w["message"] for w in window] == [f"needle {flow}"]
    found = client.search_logs(q=f"needle {flow}", level=40, limit=10)
    assert [i["flow_run_id"] for i in found["items"]] == [run]


def test_the_run_graph_through_the_client(client) -> None:
    run = str(uuid.uuid4())
    client.request(
        "POST", "/flow_runs", json={"id": run, "name": "r", "flow_name": "g", "created": T0}
    )
    up = task(run, name="up", created=T0)
    down = task(run, name="down", created=T0 + 1, task_inputs={"x": [up["id"]]})
    client.request("POST", "/batch", json={"task_runs": [up, down]})
    graph = client.read_flow_run_graph(run, limit=10)
    assert graph["names"] == ["up", "down"] and graph["depth"] == [0, 1]
    assert graph["edges"] == {"source": [0], "target": [1], "input": ["x"]}
    detail = client.request("GET", f"/task_runs/{down['id']}").json()
    assert [u["name"] for u in detail["upstream"]] == ["up"]


def test_retry_through_the_client(client) -> None:
    dep = client.request(
        "POST", "/deployments", json={"name": "again", "flow_name": "r", "entrypoint": "r.py:r"}
    ).json()["id"]
    run = client.request("POST", f"/deployments/{dep}/create_flow_run", json={}).json()["id"]
    for i, kind in enumerate(("PENDING", "RUNNING", "FAILED")):
        body = {"transition_id": f"{run}-{i}",
                "state": {"type": kind, "name": kind.title(), "timestamp": T0 + i}}  # fmt: skip
        client.request("POST", f"/flow_runs/{run}/set_state", json=body)
    answer = client.retry_flow_run(run)
    assert answer["state"]["name"] == "AwaitingRetry"


def test_bulk_actions_through_the_client(client) -> None:
    flow = f"bulk-{uuid.uuid4().hex[:8]}"
    runs = [str(uuid.uuid4()) for _ in range(3)]
    for i, run in enumerate(runs):
        body = {"id": run, "name": f"r{i}", "flow_name": flow, "created": T0 + i}
        client.request("POST", "/flow_runs", json=body)
    ended = [transition(runs[0], None, "PENDING", T0), transition(runs[0], None, "COMPLETED", T0)]
    client.request("POST", "/batch", json={"transitions": ended})
    preview = client.bulk_flow_runs("cancel", filter={"flow_name": flow}, dry_run=True)
    assert (preview["matched"], preview["results"]) == (3, [])
    done = client.bulk_flow_runs("cancel", filter={"flow_name": flow}, reason="maintenance")
    outcomes = {r["id"]: r["outcome"] for r in done["results"]}
    assert outcomes == {runs[0]: "skipped", runs[1]: "done", runs[2]: "done"}
    gone = client.bulk_flow_runs("delete", ids=runs[:2])
    assert gone["counts"] == {"done": 2, "skipped": 0, "failed": 0}
    assert client.read_flow_runs_page(flow_name=flow)["total"] == 1
