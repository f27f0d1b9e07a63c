"""Request builders shared by the server tests (imported by name: `server_helpers`)."""

from __future__ import annotations

import time
import warnings
from typing import Any

with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what we test with
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API_KEY = "s3cret-key-for-tests"

__all__ = ["API_KEY", "TestClient", "api_client", "flow_run", "propose", "state", "task_run"]


def api_client(test_client: TestClient) -> Any:
    """A `cadenza.client.http.ApiClient` that talks to the app of `test_client` in-process."""
    from cadenza.client.http import ApiClient

    return ApiClient("http://testserver", transport=test_client._transport, retry_time=0)


def flow_run(run_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": f"name-{run_id}",
        "flow_name": "etl",
        "parameters": {"n": 1},
        "tags": ["t1"],
        "created": time.time(),
        **fields,
    }


def task_run(run_id: str, flow_run_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": run_id,
        "flow_run_id": flow_run_id,
        "name": f"{run_id}-0",
        "task_name": "extract",
        "task_key": "mod.extract",
        "created": time.time(),
        **fields,
    }


def state(type_: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "name": name, "timestamp": time.time(), **fields}


def propose(client: Any, run_id: str, tid: str, st: dict, run_count: int | None = None) -> dict:
    body: dict[str, Any] = {"transition_id": tid, "state": st}
    if run_count is not None:
        body["run_count"] = run_count
    response = client.post(f"/api/flow_runs/{run_id}/set_state", json=body)
    assert response.status_code == 200, response.text
    return response.json()
