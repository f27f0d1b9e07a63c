"""The task run in progress: ``id``, ``name``, ``task_name``, ``tags``, ``run_count``,
``flow_run_id`` (None outside a task run)."""

from __future__ import annotations

from typing import Any

from cadenza.context import TaskRunContext

_FIELDS = ("id", "name", "task_name", "tags", "run_count", "flow_run_id")


def __getattr__(name: str) -> Any:
    if name not in _FIELDS:
        raise AttributeError(f"cadenza.runtime.task_run has no attribute {name!r}")

    ctx = TaskRunContext.get()
    if ctx is None:
        return [] if name == "tags" else None
    value = getattr(ctx.task_run, name, None)
    return list(value) if name == "tags" and value is not None else value


def __dir__() -> list[str]:
    return sorted(_FIELDS)


# Read through `__getattr__` when accessed, so ruff cannot see them defined.
__all__ = [  # noqa: F822
    "flow_run_id",
    "id",
    "name",
    "run_count",
    "tags",
    "task_name",
]
