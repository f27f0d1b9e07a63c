"""POST /api/flow_runs/{id}/retry: a deployment's Failed, Crashed or Cancelled run is scheduled
again (AwaitingRetry, due now) and claimed again; anything else is refused with 409."""

from __future__ import annotations

import time

import pytest
from dashboard_writes import create_run, new_id, ok, set_state


def _deployment_run(api, final: str | None) -> str:
    dep = ok(api.post("/api/deployments", json={"name": "nightly", "flow_name": "etl",
                                            "entrypoint": "etl.py:etl"}))["id"]  # fmt: skip
    run = ok(api.post(f"/api/deployments/{dep}/create_flow_run", json={}))["id"]
    claimed = ok(
        api.post("/api/deployments/claim", json={"claimant": "w1", "deployment_ids": [dep]})
    )
    assert [r["id"] for r in claimed["runs"]] == [run]
    if final is not None:
        set_state(api, run, "RUNNING", time.time())
        set_state(api, run, final, time.time())
    return run


@pytest.mark.parametrize("final", ["FAILED", "CRASHED", "CANCELLED"])
def test_a_failed_deployment_run_is_scheduled_again_and_claimed(api, final: str) -> None:
    run = _deployment_run(api, final)
    before = time.time()
    answer = ok(api.post(f"/api/flow_runs/{run}/retry"))
    assert answer == {"id": run, "state": {"type": "SCHEDULED", "name": "AwaitingRetry",
                                           "message": "Retry requested"}}  # fmt: skip
    got = ok(api.get(f"/api/flow_runs/{run}"))
    assert got["state"]["name"] == "AwaitingRetry" and got["end_time"] is None
    assert [s["name"] for s in got["states"]][-2:] == [final.title(), "AwaitingRetry"]
    dep = got["deployment_id"]
    again = ok(api.post("/api/deployments/claim", json={"claimant": "w2", "deployment_ids": [dep]}))
    assert [r["id"] for r in again["runs"]] == [run]
    assert time.time() >= before


def test_retry_refuses_runs_it_does_not_apply_to(api) -> None:
    completed = _deployment_run(api, "COMPLETED")
    answer = api.post(f"/api/flow_runs/{completed}/retry")
    assert answer.status_code == 409, answer.text
    assert answer.json()["errors"] == [{"loc": ["state"], "msg": "not retryable"}]
    running = _deployment_run(api, None)
    assert api.post(f"/api/flow_runs/{running}/retry").status_code == 409
    plain = create_run(api)
    set_state(api, plain, "PENDING", time.time())
    set_state(api, plain, "RUNNING", time.time())
    set_state(api, plain, "FAILED", time.time())
    answer = api.post(f"/api/flow_runs/{plain}/retry")
    assert answer.status_code == 409, answer.text
    assert "no deployment" in answer.json()["detail"]
    assert api.post(f"/api/flow_runs/{new_id()}/retry").status_code == 404
    assert api.post("/api/flow_runs/bad%0Aid/retry").status_code == 422
