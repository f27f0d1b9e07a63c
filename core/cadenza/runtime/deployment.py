"""The deployment whose run is in progress, as Prefect 3's `prefect.runtime.deployment`.

``id``, ``flow_run_id``, ``name``, ``parameters``, ``version``. Inside a run started from a
deployment (by a worker or ``serve``) and its subflows they describe that deployment and its
run's parameters; ``flow_run_id`` is the flow run in progress, deployed or not. Outside a
deployment run: None, and ``{}`` for ``parameters``. Set one for a test with
``CADENZA__RUNTIME__DEPLOYMENT__<NAME>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cadenza.context import FlowRunContext
from cadenza.runtime import _fields, _record


def _flow_run_id() -> str | None:
    ctx = FlowRunContext.get()
    return ctx.flow_run.id if ctx is not None else None


def _of_deployment(name: str, outside: Any = None) -> Callable[[], Any]:
    def get() -> Any:
        deployment = _record.current_deployment.get()
        return outside if deployment is None else getattr(deployment, name)

    return get


_FIELDS: dict[str, Callable[[], Any]] = {
    "id": _of_deployment("deployment_id"),
    "flow_run_id": _flow_run_id,
    "name": _of_deployment("name"),
    "parameters": lambda: dict(_of_deployment("parameters", {})()),
    "version": _of_deployment("version"),
}


def __getattr__(name: str) -> Any:
    return _fields.read("deployment", _FIELDS, name)


def __dir__() -> list[str]:
    return sorted(_FIELDS)


# Read through `__getattr__` when accessed, so ruff cannot see them defined.
__all__ = ["flow_run_id", "id", "name", "parameters", "version"]  # noqa: F822
