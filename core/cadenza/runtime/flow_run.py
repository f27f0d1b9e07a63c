"""The flow run in progress, as Prefect 3's `prefect.runtime.flow_run`.

``id``, ``name``, ``flow_name``, ``flow_version``, ``parameters``, ``tags``,
``scheduled_start_time``, ``parent_flow_run_id``, ``parent_deployment_id``,
``root_flow_run_id``, ``run_count``, ``api_url``, ``ui_url``, ``job_variables`` (and cadenza's
``start_time``). Read when accessed; outside a flow run they are what Prefect gives: None,
``{}``/``[]`` for the collections, 0 for ``run_count`` and now (UTC) for
``scheduled_start_time``. Set one for a test with ``CADENZA__RUNTIME__FLOW_RUN__<NAME>``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from cadenza.context import FlowRunContext
from cadenza.runs import FlowRun
from cadenza.runtime import _fields, _record


def _run() -> FlowRun | None:
    ctx = FlowRunContext.get()
    return ctx.flow_run if ctx is not None else None


def _attr(name: str, outside: Any = None) -> Callable[[], Any]:
    def get() -> Any:
        run = _run()
        return outside if run is None else getattr(run, name, outside)

    return get


def _utc(epoch: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc)


def _scheduled_start_time() -> _dt.datetime:
    run = _run()
    if run is None:
        return _dt.datetime.now(_dt.timezone.utc)
    deployment = _record.current_deployment.get()
    mine = deployment is not None and deployment.flow_run_id == run.id
    if mine and deployment is not None and deployment.expected_start_time is not None:
        return _utc(deployment.expected_start_time)
    return _utc(run.created)


def _parent_deployment_id() -> str | None:
    run = _run()
    deployment = _record.current_deployment.get()
    if run is None or deployment is None or run.parent_flow_run_id is None:
        return None
    return deployment.deployment_id if run.parent_flow_run_id == deployment.flow_run_id else None


def _root_flow_run_id() -> str | None:
    run = _run()
    if run is None:
        return None
    root, parent = run.id, run.parent_flow_run_id
    seen = {root}
    while parent is not None and parent not in seen:
        seen.add(parent)
        known, grandparent = _record.parent_flow_run_id(parent)
        if not known:
            break
        root, parent = parent, grandparent
    return root


def _job_variables() -> dict[str, Any] | None:
    run = _run()
    if run is None:
        return None
    deployment = _record.current_deployment.get()
    if deployment is not None and deployment.flow_run_id == run.id:
        return dict(deployment.job_variables)
    return {}


def _url(base: Callable[[], str | None], path: str) -> Callable[[], str | None]:
    def get() -> str | None:
        run, root = _run(), base()
        return None if run is None or root is None else f"{root}/{path}/{run.id}"

    return get


def _tags() -> list[str]:
    run = _run()
    return [] if run is None else list(run.tags)


def _parameters() -> dict[str, Any]:
    run = _run()
    return {} if run is None else run.parameters


_FIELDS: dict[str, Callable[[], Any]] = {
    "id": _attr("id"),
    "tags": _tags,
    "scheduled_start_time": _scheduled_start_time,
    "name": _attr("name"),
    "flow_name": _attr("flow_name"),
    "flow_version": _attr("flow_version"),
    "parameters": _parameters,
    "parent_flow_run_id": _attr("parent_flow_run_id"),
    "parent_deployment_id": _parent_deployment_id,
    "root_flow_run_id": _root_flow_run_id,
    "run_count": _attr("run_count", 0),
    "api_url": _url(_fields.api_url, "flow_runs"),
    "ui_url": _url(_fields.ui_url, "runs"),
    "job_variables": _job_variables,
    "start_time": _attr("start_time"),
}


def __getattr__(name: str) -> Any:
    return _fields.read("flow_run", _FIELDS, name)


def __dir__() -> list[str]:
    return sorted(_FIELDS)


# Read through `__getattr__` when accessed, so ruff cannot see them defined.
__all__ = [  # noqa: F822
    "api_url",
    "flow_name",
    "flow_version",
    "id",
    "job_variables",
    "name",
    "parameters",
    "parent_deployment_id",
    "parent_flow_run_id",
    "root_flow_run_id",
    "run_count",
    "scheduled_start_time",
    "start_time",
    "tags",
    "ui_url",
]
