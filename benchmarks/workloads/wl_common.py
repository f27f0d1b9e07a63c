"""Helpers shared by the workload scripts (which run in the measured child processes)."""

from __future__ import annotations

import json
import sys
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
