"""The task run in progress, as Prefect 3's `prefect.runtime.task_run`.

``id``, ``name``, ``task_name``, ``tags``, ``parameters``, ``run_count``, ``api_url``,
``ui_url`` (and cadenza's ``flow_run_id`` and ``task_key``). Read when accessed; outside a task
run they are None, ``[]``/``{}`` for the collections and 0 for ``run_count``. Set one for a
test with ``CADENZA__RUNTIME__TASK_RUN__<NAME>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cadenza.context import TaskRunContext
from cadenza.runtime import _fields


def _attr(name: str, outside: Any = None) -> Callable[[], Any]:
    def get() -> Any:
        ctx = TaskRunContext.get()
        return outside if ctx is None else getattr(ctx.task_run, name, outside)

    return get


def _tags() -> list[str]:
    ctx = TaskRunContext.get()
    return [] if ctx is None else list(ctx.task_run.tags)


def _parameters() -> dict[str, Any]:
    ctx = TaskRunContext.get()
    return {} if ctx is None else ctx.parameters()


def _url(base: Callable[[], str | None], flow_level: bool) -> Callable[[], str | None]:
    def get() -> str | None:
        ctx, root = TaskRunContext.get(), base()
        if ctx is None or root is None:
            return None
        run = ctx.task_run
        if flow_level:
            return f"{root}/runs/{run.flow_run_id}/tasks/{run.id}"
        return f"{root}/task_runs/{run.id}"

    return get


_FIELDS: dict[str, Callable[[], Any]] = {
    "id": _attr("id"),
    "tags": _tags,
    "name": _attr("name"),
    "parameters": _parameters,
    "run_count": _attr("run_count", 0),
    "task_name": _attr("task_name"),
    "api_url": _url(_fields.api_url, flow_level=False),
    "ui_url": _url(_fields.ui_url, flow_level=True),
    "flow_run_id": _attr("flow_run_id"),
    "task_key": _attr("task_key"),
}


def __getattr__(name: str) -> Any:
    return _fields.read("task_run", _FIELDS, name)


def __dir__() -> list[str]:
    return sorted(_FIELDS)


# Read through `__getattr__` when accessed, so ruff cannot see them defined.
__all__ = [  # noqa: F822
    "api_url",
    "flow_run_id",
    "id",
    "name",
    "parameters",
    "run_count",
    "tags",
    "task_key",
    "task_name",
    "ui_url",
]
