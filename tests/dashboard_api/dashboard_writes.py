"""Record flow runs, task runs and logs through the real API (imported by name)."""

from __future__ import annotations

import time
import uuid
from typing import Any

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def new_id() -> str:
    return str(uuid.uuid4())


def create_run(client: Any, run_id: str | None = None, **fields: Any) -> str:
    run_id = run_id or new_id()
    body = {
        "id": run_id,
        "name": f"run-{run_id[:8]}",
        "flow_name": "etl",
        "parameters": {},
        "tags": [],
        "created": T0,
        **fields,
    }
    ok(client.post("/api/flow_runs", json=body))
    return run_id


def set_state(client: Any, run_id: str, type_: str, ts: float, name: str | None = None) -> None:
    body = {
        "transition_id": new_id(),
        "state": {"type": type_, "name": name or type_.title(), "timestamp": ts},
    }
    answer = ok(client.post(f"/api/flow_runs/{run_id}/set_state", json=body))
    assert answer["decision"] == "ACCEPT", answer


def batch(client: Any, **lists: Any) -> dict[str, Any]:
    answer = ok(client.post("/api/batch", json=lists))
    assert not answer["rejected"], answer
    return answer


def task(
    flow_run_id: str,
    task_id: str | None = None,
    name: str = "t",
    created: float = T0,
    **fields: Any,
) -> dict[str, Any]:
    task_id = task_id or new_id()
    return {
        "id": task_id,
        "flow_run_id": flow_run_id,
        "name": name,
        "task_name": name,
        "task_key": f"mod.{name}",
        "created": created,
        **fields,
    }


def transition(
    run_id: str,
    flow_run_id: str,
    type_: str,
    ts: float,
    name: str | None = None,
    run_count: int | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": run_id,
        "flow_run_id": flow_run_id,
        "transition_id": new_id(),
        "state": {"type": type_, "name": name or type_.title(), "timestamp": ts},
    }
    if run_count is not None:
        out["run_count"] = run_count
    return out


def log(
    flow_run_id: str,
    message: str,
    level: int = 20,
    task_run_id: str | None = None,
    ts: float | None = None,
    logger: str = "cadenza.flow_runs",
) -> dict[str, Any]:
    return {
        "flow_run_id": flow_run_id,
        "task_run_id": task_run_id,
        "level": level,
        "logger": logger,
        "message": message,
        "timestamp": ts or time.time(),
        "id": new_id(),
    }


def finish(client: Any, run_id: str, final: str, start: float, end: float) -> None:
    """Move a new flow run Pending → Running at `start`, then to `final` at `end`."""
    set_state(client, run_id, "PENDING", start)
    set_state(client, run_id, "RUNNING", start)
    set_state(client, run_id, final, end)
