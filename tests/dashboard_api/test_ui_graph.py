"""GET /api/flow_runs/{ref}/graph and the detail fields of GET /api/task_runs/{id}: the run graph
recorded from each task run's task_inputs, sent through the batch API as a client sends it."""

from __future__ import annotations

import json

from dashboard_writes import T0, batch, create_run, ok, task, transition


def _diamond(api) -> tuple[str, dict[str, str]]:
    run = create_run(api)
    a = task(run, name="a", created=T0 + 1)
    b = task(run, name="b", created=T0 + 2, task_inputs={"x": [a["id"]]}, retries=1)
    c = task(run, name="c", created=T0 + 3, task_inputs={"x": [a["id"]]})
    d = task(run, name="d", created=T0 + 4, task_inputs={"left": [b["id"]], "right": [c["id"]]})
    e = task(run, name="e", created=T0 + 5, task_inputs={"wait_for": [d["id"]]})
    tasks = [a, b, c, d, e]
    batch(api, task_runs=tasks)
    return run, {t["name"]: t["id"] for t in tasks}


def test_a_diamond_is_nodes_edges_and_depths(api) -> None:
    run, ids = _diamond(api)
    graph = ok(api.get(f"/api/flow_runs/{run}/graph"))
    assert graph["names"] == ["a", "b", "c", "d", "e"]
    assert graph["ids"] == [ids[n] for n in "abcde"]
    assert graph["depth"] == [0, 1, 1, 2, 3]
    edges = graph["edges"]
    got = sorted(zip(edges["source"], edges["target"], edges["input"], strict=True))
    assert got == [(0, 1, "x"), (0, 2, "x"), (1, 3, "left"), (2, 3, "right"), (3, 4, "wait_for")]
    assert (graph["count"], graph["total"], graph["truncated"], graph["outside_edges"]) == (
        5, 5, False, 0,
    )  # fmt: skip


def test_a_graph_is_capped_and_says_so(api) -> None:
    run, _ids = _diamond(api)
    graph = ok(api.get(f"/api/flow_runs/{run}/graph", params={"limit": 3}))
    assert graph["names"] == ["a", "b", "c"]
    assert (graph["count"], graph["total"], graph["truncated"]) == (3, 5, True)
    assert graph["outside_edges"] == 0  # d and e are not nodes: their edges are not counted
    assert len(graph["edges"]["source"]) == 2


def test_a_run_without_dependencies_has_no_edges(api) -> None:
    run = create_run(api)
    batch(api, task_runs=[task(run, name=f"t{i}", created=T0 + i) for i in range(4)])
    graph = ok(api.get(f"/api/flow_runs/{run}/graph"))
    assert graph["depth"] == [0, 0, 0, 0]
    assert graph["edges"] == {"source": [], "target": [], "input": []}


def test_graph_refuses_bad_input_and_unknown_runs(api) -> None:
    run, _ids = _diamond(api)
    for limit in (0, 20_001, "x"):
        answer = api.get(f"/api/flow_runs/{run}/graph", params={"limit": limit})
        assert answer.status_code == 422, answer.text
        assert "limit" in answer.text
    assert api.get("/api/flow_runs/no-such-run/graph").status_code == 404


def test_batch_refuses_task_inputs_that_are_not_lists_of_ids(api) -> None:
    run = create_run(api)
    for bad in ({"x": "not-a-list"}, {"x": ["bad\nid"]}, ["x"]):
        answer = api.post("/api/batch", json={"task_runs": [task(run, task_inputs=bad)]})
        assert answer.status_code == 422, answer.text
        assert "task_inputs" in answer.text


def test_task_run_detail_has_states_cache_result_and_neighbours(api) -> None:
    run, ids = _diamond(api)
    ref = json.dumps({"key": "abc123", "serializer": "json", "v": 1,
                      "storage": {"type": "local", "basepath": "/r"}})  # fmt: skip
    b = ids["b"]
    batch(api, transitions=[
        transition(b, run, "PENDING", T0 + 2),
        transition(b, run, "RUNNING", T0 + 2.5, run_count=1),
        transition(b, run, "FAILED", T0 + 3, run_count=1),
        {**transition(b, run, "SCHEDULED", T0 + 3, name="AwaitingRetry", run_count=1),
         "state": {"type": "SCHEDULED", "name": "AwaitingRetry", "timestamp": T0 + 3,
                   "details": {"retry_count": 1, "scheduled_time": T0 + 4}}},
        transition(b, run, "RUNNING", T0 + 4, name="Retrying", run_count=2),
        {**transition(b, run, "COMPLETED", T0 + 5, name="Cached", run_count=2),
         "state": {"type": "COMPLETED", "name": "Cached", "timestamp": T0 + 5,
                   "result_ref": ref, "details": {"cache_key": "k-1"}}},
    ])  # fmt: skip
    got = ok(api.get(f"/api/task_runs/{b}"))
    assert [s["name"] for s in got["states"]] == [
        "Pending", "Running", "Failed", "AwaitingRetry", "Retrying", "Cached",
    ]  # fmt: skip
    assert got["states"][3]["details"]["retry_count"] == 1
    assert got["run_count"] == 2
    assert got["cache_hit"] is True
    assert got["result"] == {"storage_key": "abc123", "serializer": "json", "storage_type": "local"}
    assert "value" not in json.dumps(got["result"])
    assert got["task_inputs"] == {"x": [ids["a"]]}
    assert [(u["name"], u["input"]) for u in got["upstream"]] == [("a", "x")]
    assert [(d["name"], d["inputs"]) for d in got["downstream"]] == [("d", ["left"])]
    assert got["flow_run_id"] == run
    assert api.get("/api/task_runs/no-such-task").status_code == 404
