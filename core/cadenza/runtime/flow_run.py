"""The flow run in progress: ``id``, ``name``, ``flow_name``, ``parameters``, ``tags``,
``run_count``, ``parent_flow_run_id``, ``start_time`` (None outside a flow run)."""

from __future__ import annotations

from typing import Any

from cadenza.context import FlowRunContext

_FIELDS = {
    "id": "id",
    "name": "name",
    "flow_name": "flow_name",
    "parameters": "parameters",
    "tags": "tags",
    "run_count": "run_count",
    "parent_flow_run_id": "parent_flow_run_id",
    "start_time": "start_time",
}


def __getattr__(name: str) -> Any:
    if name not in _FIELDS:
        raise AttributeError(f"cadenza.runtime.flow_run has no attribute {name!r}")

    ctx = FlowRunContext.get()
    run = ctx.flow_run if ctx is not None else None
    if run is None:
        return {} if name == "parameters" else [] if name == "tags" else None
    value = getattr(run, _FIELDS[name], None)
    return list(value) if name == "tags" and value is not None else value


def __dir__() -> list[str]:
    return sorted(_FIELDS)


# Read through `__getattr__` when accessed, so ruff cannot see them defined.
__all__ = [  # noqa: F822
    "flow_name",
    "id",
    "name",
    "parameters",
    "parent_flow_run_id",
    "run_count",
    "start_time",
    "tags",
]
