"""`run_deployment`: ask for a run of a deployment, and wait for it (Prefect 3's signature).

The run is created Scheduled in the record this process reports to; a worker of the
deployment's pool, or the `serve` process serving it, executes it. When a tracing plugin traces
the caller, the run's ``env`` job variable carries the caller's W3C trace context
(``TRACEPARENT``), so the executing process continues the trace. Called inside a flow run
(with ``as_subflow``, the default), the new run records that flow run (and the task run, when
called from a task) as its parent, so it shows as a child of the caller.

From async code (an ``async def`` flow or task, or a coroutine) `run_deployment` returns an
awaitable, as Prefect's does, which waits in a worker thread; `arun_deployment` is that form.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from typing import Any

from cadenza import observers
from cadenza._dispatch import async_form, dual
from cadenza.context import _flow_run_ctx, _task_run_ctx
from cadenza.deployments.api import deployments_api
from cadenza.states import TERMINAL_STATES, State, StateType

_FINAL = {t.value for t in TERMINAL_STATES}


@dataclass
class DeploymentFlowRun:
    """A flow run of a deployment, as `run_deployment` returns it (Prefect returns its
    client's ``FlowRun``; the same names are here)."""

    id: str
    name: str
    deployment_id: str | None
    flow_name: str | None
    parameters: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    state: State[Any] | None = None
    expected_start_time: float | None = None
    parent_flow_run_id: str | None = None

    @classmethod
    def from_record(cls, run: dict[str, Any]) -> DeploymentFlowRun:
        state = None
        if run.get("state_type"):
            state = State(StateType(run["state_type"]), run.get("state_name"),
                          run.get("state_message"))  # fmt: skip
        return cls(
            id=run["id"], name=run["name"], deployment_id=run.get("deployment_id"),
            flow_name=run.get("flow_name"), parameters=dict(run.get("parameters") or {}),
            tags=list(run.get("tags") or ()), state=state,
            expected_start_time=run.get("expected_start_time"),
            parent_flow_run_id=run.get("parent_flow_run_id"),
        )  # fmt: skip


def _epoch(when: _dt.datetime | float | None) -> float | None:
    if when is None or isinstance(when, (int, float)):
        return when
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.timestamp()


@dual
def run_deployment(
    name: str,
    client: Any = None,
    parameters: dict[str, Any] | None = None,
    scheduled_time: _dt.datetime | float | None = None,
    flow_run_name: str | None = None,
    timeout: float | None = None,
    poll_interval: float = 1.0,
    tags: list[str] | None = None,
    idempotency_key: str | None = None,
    work_queue_name: str | None = None,
    as_subflow: bool = True,
    job_variables: dict[str, Any] | None = None,
) -> DeploymentFlowRun:
    """Create a run of deployment `name` (``"flow/deployment"`` or its id) and wait up to
    `timeout` seconds for it to end (None: until it ends; 0: return at once).

    Returns the run as it is when the call returns: check ``.state``. Raises
    `cadenza.exceptions.ObjectNotFound` (embedded) or the client's ``NotFound`` (server) for an
    unknown deployment, and ``ValueError`` / an API error for parameters the flow does not take.
    `client` and `work_queue_name` are accepted for Prefect compatibility; the deployment's
    queue is used.
    """
    parent = _flow_run_ctx.get() if as_subflow else None
    parent_task = _task_run_ctx.get() if as_subflow else None
    api = deployments_api()
    try:
        deployment = api.read(name)
        variables = _traced(dict(job_variables or {}), deployment, _caller())
        run = api.create_flow_run(
            deployment["id"], parameters=dict(parameters or {}),
            scheduled_time=_epoch(scheduled_time), name=flow_run_name, tags=list(tags or ()),
            idempotency_key=idempotency_key, job_variables=variables,
            parent_flow_run_id=parent.flow_run.id if parent is not None else None,
            parent_task_run_id=parent_task.task_run.id if parent_task is not None else None,
        )  # fmt: skip
        deadline = None if timeout is None else time.monotonic() + timeout
        while run.get("state_type") not in _FINAL:
            if deadline is not None and time.monotonic() >= deadline:
                break
            pause = poll_interval
            if deadline is not None:
                pause = min(pause, max(0.0, deadline - time.monotonic()))
            time.sleep(pause)
            run = api.read_flow_run(run["id"])
        return DeploymentFlowRun.from_record(run)
    finally:
        api.close()


def _caller() -> str | None:
    """The id of the run calling: its task run, else its flow run (as a subflow or not)."""
    task_ctx, flow_ctx = _task_run_ctx.get(), _flow_run_ctx.get()
    if task_ctx is not None:
        return task_ctx.task_run.id
    return flow_ctx.flow_run.id if flow_ctx is not None else None


def _traced(
    job_variables: dict[str, Any], deployment: dict[str, Any], caller: str | None
) -> dict[str, Any]:
    """`job_variables`, with the caller's trace context (when a tracing plugin has one) as
    ``TRACEPARENT``/``TRACESTATE`` in its ``env``: the executing process inherits them, and its
    tracer continues the caller's trace. A run's ``env`` replaces its deployment's, so the
    deployment's variables are kept under the caller's; a ``TRACEPARENT`` given is kept."""
    trace_context = observers.trace_context
    if caller is None or trace_context is None:
        return job_variables
    carrier = trace_context(caller)
    if not carrier or "traceparent" not in carrier:
        return job_variables
    inherited = (deployment.get("job_variables") or {}).get("env") or {}
    env = {**inherited, **(job_variables.get("env") or {})}
    env.setdefault("TRACEPARENT", carrier["traceparent"])
    if carrier.get("tracestate"):
        env.setdefault("TRACESTATE", carrier["tracestate"])
    return {**job_variables, "env": env}


arun_deployment = async_form(run_deployment)

__all__ = ["DeploymentFlowRun", "arun_deployment", "run_deployment"]
