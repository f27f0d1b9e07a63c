"""Helpers shared by the workload scripts (which run in the measured child processes)."""

from __future__ import annotations

import json
import sys
import time
from importlib import import_module
from types import ModuleType
from typing import Any

RESULT_MARKER = "BENCH_RESULT "


def framework(name: str) -> ModuleType:
    """``cadenza`` or ``prefect``: both expose ``flow`` and ``task`` with the same API."""
    return import_module(name)


def call_flow(flow_obj: Any, *args: Any) -> tuple[Any, str | None]:
    """Run a flow, returning (result, flow run id or None when the state does not carry one)."""
    try:
        state = flow_obj(*args, return_state=True)
    except TypeError as exc:
        if "return_state" not in str(exc):
            raise
        return flow_obj(*args), None
    details = getattr(state, "state_details", None)
    run_id = getattr(details, "flow_run_id", None)
    return state.result(), (str(run_id) if run_id is not None else None)


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(RESULT_MARKER + json.dumps(payload) + "\n")
    sys.stdout.flush()


def timed_map(fw_name: str, n: int, task_runner: Any, flow_name: str) -> None:
    """``inc.map(range(n))`` then ``.result()`` inside one flow named `flow_name` on
    `task_runner`, emitting the times the runner workloads report (see dask_map.py)."""
    fw = framework(fw_name)

    @fw.task
    def inc(x: int) -> int:
        return x + 1

    def body(n: int) -> dict[str, float]:
        pc = time.perf_counter
        t0 = pc()
        total = sum(inc.map(range(n)).result())
        t1 = pc()
        return {"total": total, "body_start": t0, "map_s": t1 - t0, "body_end": pc()}

    body.__name__ = body.__qualname__ = flow_name
    mapped = fw.flow(task_runner=task_runner)(body)
    flow_start = time.perf_counter()
    result, run_id = call_flow(mapped, n)
    flow_return = time.perf_counter()
    emit(
        {
            "n": n,
            "ok": result["total"] == n * (n + 1) // 2,
            "flow_run_id": run_id,
            "flow_start": flow_start,
            "flow_call_s": flow_return - flow_start,
            "map_s": result["map_s"],
            "body_start_s": result["body_start"] - flow_start,
            "exit_s": flow_return - result["body_end"],
        }
    )
