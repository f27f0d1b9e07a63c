"""`run_deployment` hands its caller's trace context to the new run's process: a plugin's
`run_trace_context` answer goes into the run's ``env`` job variable as ``TRACEPARENT`` and
``TRACESTATE`` (OpenTelemetry's environment carrier), which a worker or ``serve`` applies."""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from cadenza import flow, hookimpl, task
from cadenza.context import TaskRunContext
from cadenza.deployments import run_deployment
from cadenza.deployments.local import LocalDeploymentsApi
from cadenza.plugins import registry
from cadenza.plugins.manager import create_plugin_manager

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def api(cadenza_home: Path, tmp_path: Path) -> Iterator[LocalDeploymentsApi]:
    local = LocalDeploymentsApi()
    env = {"REGION": "eu", "LEVEL": "1"}
    local.apply({"flow_name": "etl", "name": "d", "entrypoint": "flows.py:etl",
                 "path": str(tmp_path), "job_variables": {"env": env}})  # fmt: skip
    yield local
    local.close()


@pytest.fixture
def asked(cadenza_home: Path) -> Iterator[list[str]]:
    """A loaded plugin that traces every run; the run ids it was asked about."""
    calls: list[str] = []

    def run_trace_context(run_id: str) -> dict[str, str]:
        calls.append(run_id)
        return {"traceparent": TRACEPARENT, "tracestate": "vendor=1"}

    plugin = types.ModuleType("tracing_plugin")
    plugin.__dict__["run_trace_context"] = hookimpl(run_trace_context)
    pm = create_plugin_manager(entry_points=False)
    registry.reset(pm)
    info = pm.add_plugin(plugin, "tracing")
    assert info.error is None, info.error
    yield calls
    registry.reset()


@task
def start_run(job_variables: dict) -> tuple[str, str]:
    context = TaskRunContext.get()
    assert context is not None
    run = run_deployment("etl/d", timeout=0, job_variables=job_variables)
    return run.id, context.task_run.id


@flow
def caller(job_variables: dict) -> tuple[str, str]:
    return start_run(job_variables)


def test_the_callers_trace_context_is_in_the_runs_env_over_the_deployments(
    api: LocalDeploymentsApi, asked: list[str]
) -> None:
    run_id, task_run_id = caller({"env": {"LEVEL": "2"}, "working_dir": "/srv"})
    assert asked == [task_run_id]  # asked for the calling task run's context
    env = {"REGION": "eu", "LEVEL": "2", "TRACEPARENT": TRACEPARENT, "TRACESTATE": "vendor=1"}
    assert api.read_flow_run(run_id)["job_variables"] == {"env": env, "working_dir": "/srv"}


def test_a_traceparent_the_caller_sets_is_kept(api: LocalDeploymentsApi, asked: list[str]) -> None:
    run_id, _ = caller({"env": {"TRACEPARENT": "00-mine"}})
    assert api.read_flow_run(run_id)["job_variables"]["env"]["TRACEPARENT"] == "00-mine"


def test_without_a_tracing_plugin_the_job_variables_are_as_given(
    api: LocalDeploymentsApi,
) -> None:
    run_id, _ = caller({"env": {"LEVEL": "2"}})
    assert api.read_flow_run(run_id)["job_variables"] == {"env": {"LEVEL": "2"}}
