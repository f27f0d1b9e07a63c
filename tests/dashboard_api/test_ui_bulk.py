"""POST /api/flow_runs/bulk: cancel, delete or retry every run a runs-list filter matches (or
the runs named by id), each through the single-run code path, with one outcome per run."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from dashboard_writes import create_run, new_id, ok, set_state

from cadenza.server import bulk_routes


def _run(api, state: str | None, flow: str = "etl", **fields) -> str:
    run = create_run(api, flow_name=flow, **fields)
    path = {
        "RUNNING": ["PENDING", "RUNNING"],
        "COMPLETED": ["PENDING", "RUNNING", "COMPLETED"],
        "FAILED": ["PENDING", "RUNNING", "FAILED"],
        "SCHEDULED": ["SCHEDULED"],
        None: [],
    }[state]
    for step in path:
        set_state(api, run, step, time.time())
    return run


def _state(api, run: str) -> str:
    return ok(api.get(f"/api/flow_runs/{run}"))["state"]["type"]


def _deployment_run(api, final: str) -> str:
    dep = ok(
        api.post(
            "/api/deployments",
            json={"name": "nightly", "flow_name": "etl", "entrypoint": "etl.py:etl"},
        )
    )["id"]
    run = ok(api.post(f"/api/deployments/{dep}/create_flow_run", json={}))["id"]
    ok(api.post("/api/deployments/claim", json={"claimant": "w1", "deployment_ids": [dep]}))
    set_state(api, run, "RUNNING", time.time())
    set_state(api, run, final, time.time())
    return run


def test_a_filter_cancels_exactly_the_runs_it_matches(api) -> None:
    running = [_run(api, "RUNNING", tags=["nightly"]) for _ in range(4)]
    scheduled = [_run(api, "SCHEDULED", tags=["nightly"]) for _ in range(2)]
    completed = _run(api, "COMPLETED", tags=["nightly"])
    untagged = _run(api, "RUNNING")
    other_flow = _run(api, "RUNNING", flow="reports", tags=["nightly"])
    flt = {"flow_name": "etl", "tag": ["nightly"]}
    preview = ok(
        api.post("/api/flow_runs/bulk", json={"action": "cancel", "filter": flt, "dry_run": True})
    )
    assert (preview["matched"], preview["capped"], preview["results"]) == (7, False, [])
    assert _state(api, running[0]) == "RUNNING"  # a dry run changes nothing
    answer = ok(api.post("/api/flow_runs/bulk", json={"action": "cancel", "filter": flt}))
    assert answer["matched"] == 7 and answer["counts"] == {"done": 6, "skipped": 1, "failed": 0}
    by_id = {r["id"]: r for r in answer["results"]}
    assert set(by_id) == {*running, *scheduled, completed}
    assert by_id[completed]["outcome"] == "skipped"
    assert by_id[completed]["reason"] == "already Completed: cannot cancel"
    assert by_id[completed]["name"] == f"run-{completed[:8]}"
    for run in running + scheduled:
        assert by_id[run]["outcome"] == "done"
        assert _state(api, run) in ("CANCELLING", "CANCELLED")
    assert _state(api, completed) == "COMPLETED"
    assert _state(api, untagged) == "RUNNING" and _state(api, other_flow) == "RUNNING"


def test_the_state_and_text_filters_choose_as_the_list_does(api) -> None:
    for _ in range(3):
        _run(api, "COMPLETED")
    failed = [_run(api, "FAILED") for _ in range(2)]
    flt = {"state": ["failed"], "q": "RUN-", "since": 0, "until": "2100-01-01T00:00:00Z"}
    page = ok(api.get("/api/flow_runs/page", params={"state": "FAILED", "q": "RUN-"}))
    answer = ok(api.post("/api/flow_runs/bulk", json={"action": "delete", "filter": flt}))
    assert answer["matched"] == page["total"] == 2
    assert sorted(r["id"] for r in answer["results"]) == sorted(failed)
    assert all(r["outcome"] == "done" and r["reason"] == "deleted" for r in answer["results"])
    assert ok(api.get("/api/flow_runs/page"))["total"] == 3
    for run in failed:
        assert api.get(f"/api/flow_runs/{run}").status_code == 404


def test_deleting_ids_reports_each_run(api) -> None:
    done = _run(api, "COMPLETED")
    running = _run(api, "RUNNING")
    ghost = new_id()
    answer = ok(
        api.post("/api/flow_runs/bulk", json={"action": "delete", "ids": [done, running, ghost]})
    )
    got = {r["id"]: (r["outcome"], r["reason"]) for r in answer["results"]}
    assert got[done] == ("done", "deleted")
    assert got[running][0] == "skipped" and "not in a final state" in got[running][1]
    assert got[ghost] == ("skipped", "not recorded")
    assert answer["counts"] == {"done": 1, "skipped": 2, "failed": 0}
    assert api.get(f"/api/flow_runs/{done}").status_code == 404
    assert _state(api, running) == "RUNNING"


def test_retry_applies_to_failed_deployment_runs_only(api) -> None:
    failed = _deployment_run(api, "FAILED")
    completed = _deployment_run(api, "COMPLETED")
    plain = _run(api, "FAILED")
    answer = ok(
        api.post("/api/flow_runs/bulk", json={"action": "retry", "ids": [failed, completed, plain]})
    )
    got = {r["id"]: (r["outcome"], r["reason"]) for r in answer["results"]}
    assert got[failed][0] == "done" and got[failed][1].startswith("AwaitingRetry")
    assert got[completed][0] == "skipped" and got[completed][1].startswith("is Completed")
    assert got[plain] == ("skipped", "not a deployment run: nothing would run it again")
    assert ok(api.get(f"/api/flow_runs/{failed}"))["state"]["name"] == "AwaitingRetry"
    assert _state(api, plain) == "FAILED"


def test_the_cap_bounds_a_request_and_says_so(api, monkeypatch) -> None:
    monkeypatch.setattr(bulk_routes, "MAX_RUNS", 3)
    runs = [_run(api, "COMPLETED", created=1_767_225_600.0 + i) for i in range(5)]
    answer = ok(api.post("/api/flow_runs/bulk", json={"action": "delete", "filter": {}}))
    assert (answer["matched"], answer["capped"]) == (3, True)
    assert [r["id"] for r in answer["results"]] == runs[:1:-1]  # the newest three
    assert ok(api.get("/api/flow_runs/page"))["total"] == 2


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"action": "cancel", "filter": {"state": ["BOGUS"]}}, ["body", "filter", "state"]),
        ({"action": "cancel", "filter": {"since": "yesterday"}}, ["body", "filter", "since"]),
        ({"action": "cancel", "filter": {"q": "a\u0000b"}}, ["body", "filter", "q"]),
        ({"action": "cancel", "filter": {"colour": "red"}}, ["body", "filter", "colour"]),
        (
            {"action": "cancel", "filter": {"deployment": "no/such"}},
            ["body", "filter", "deployment"],
        ),
        ({"action": "cancel", "filter": {}, "ids": []}, ["body", "filter"]),
        ({"action": "cancel"}, ["body", "filter"]),
        ({"action": "explode", "ids": []}, ["body", "action"]),
    ],
)
def test_a_malformed_request_is_refused_naming_the_field(lite, body, loc) -> None:
    keep = _run(lite, "RUNNING")
    answer = lite.post("/api/flow_runs/bulk", json=body)
    assert answer.status_code == 422, answer.text
    assert loc in [e["loc"] for e in answer.json()["errors"]], answer.json()
    assert _state(lite, keep) == "RUNNING"


def test_runs_changing_meanwhile_are_reported_not_fatal(api) -> None:
    runs = [_run(api, "RUNNING", tags=["race"]) for _ in range(40)]
    answers: list[dict] = []

    def bulk() -> None:
        answers.append(
            ok(
                api.post(
                    "/api/flow_runs/bulk", json={"action": "cancel", "filter": {"tag": ["race"]}}
                )
            )
        )

    worker = threading.Thread(target=bulk)
    worker.start()
    for run in runs[::-1]:  # the bulk action goes newest first: meet it halfway
        api.delete(f"/api/flow_runs/{run}", params={"force": True})
        if not worker.is_alive():
            break
    worker.join(60)
    (answer,) = answers
    assert answer["matched"] == 40 and len(answer["results"]) == 40
    for result in answer["results"]:
        assert result["outcome"] in ("done", "skipped"), result
        if result["outcome"] == "skipped":
            assert result["reason"] == "not recorded"


def test_the_api_key_guards_bulk_actions(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from cadenza.server.app import create_app

    with TestClient(create_app(f"sqlite:///{tmp_path / 'k.db'}", api_key="s3cret")) as api:
        body = {"action": "delete", "filter": {}}
        assert api.post("/api/flow_runs/bulk", json=body).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert api.post("/api/flow_runs/bulk", json=body, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        answer = ok(api.post("/api/flow_runs/bulk", json=body, headers=right))
        assert answer["matched"] == 0
