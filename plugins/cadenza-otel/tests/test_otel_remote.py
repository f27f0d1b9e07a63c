"""One trace across processes: task runs on process-pool, Dask and Ray workers, and flow runs
started through `run_deployment` and executed by a `serve` process's child.

The workers and the serving process are real processes; every one of them exports its own
spans to the test's OTLP receiver, and the test checks that they join the caller's trace.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REMOTE_FLOW = """
import os
from opentelemetry import trace
from cadenza import flow, task
from {module} import {runner}


@task(retries=1, retry_delay_seconds=0)
def where(n: int) -> int:
    with trace.get_tracer("app").start_as_current_span("task body") as span:
        span.set_attribute("pid", os.getpid())
    return os.getpid()


@flow(task_runner={runner}({options}))
def fan_out() -> list:
    return [f.result() for f in where.map(range(3))]


if __name__ == "__main__":
    pids = fan_out()
    assert os.getpid() not in pids, pids
    print("flow pid", os.getpid())
"""


def _check_remote_tree(receiver) -> None:
    flow_span = receiver.one("flow fan-out")  # flow names use hyphens, as in Prefect
    tasks = receiver.named("task where")
    assert len(tasks) == 3
    for span in tasks:
        assert span.trace_id == flow_span.trace_id
        assert span.parent_span_id == flow_span.span_id
        assert span.attributes["cadenza.state.type"] == "COMPLETED"
    attempts = receiver.named("task where attempt 1")
    assert sorted(a.parent_span_id for a in attempts) == sorted(t.span_id for t in tasks)
    bodies = receiver.named("task body")
    # the task's own span, started on the worker, is a child of the attempt's span
    assert sorted(b.parent_span_id for b in bodies) == sorted(a.span_id for a in attempts)
    assert {b.trace_id for b in bodies} == {flow_span.trace_id}


def test_task_runs_on_process_pool_workers_continue_the_flow_runs_trace(
    run_script, receiver
) -> None:
    run_script(REMOTE_FLOW.format(
        module="cadenza.task_runners", runner="ProcessPoolTaskRunner", options="max_workers=2"
    ))  # fmt: skip
    _check_remote_tree(receiver)


def test_task_runs_on_dask_workers_continue_the_flow_runs_trace(run_script, receiver) -> None:
    pytest.importorskip("cadenza_dask")
    options = "cluster_kwargs={'n_workers': 2, 'threads_per_worker': 1}"
    run_script(REMOTE_FLOW.format(module="cadenza_dask", runner="DaskTaskRunner", options=options))
    _check_remote_tree(receiver)


def test_task_runs_on_ray_workers_continue_the_flow_runs_trace(run_script, receiver) -> None:
    pytest.importorskip("cadenza_ray")
    options = "init_kwargs={'num_cpus': 2, 'include_dashboard': False}"
    run_script(
        REMOTE_FLOW.format(module="cadenza_ray", runner="RayTaskRunner", options=options),
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_USAGE_STATS_ENABLED="0",
    )  # fmt: skip
    _check_remote_tree(receiver)


SERVED = """
from cadenza import flow, task

@task
def step(n: int) -> int:
    return n + 1

@flow
def child(n: int = 1) -> int:
    return step(n)

if __name__ == "__main__":
    child.serve(name="served")
"""

CALLER = """
import time
from cadenza import flow, task
from cadenza.deployments import run_deployment
from cadenza.deployments.api import deployments_api

deadline = time.monotonic() + 60
while True:
    api = deployments_api()
    try:
        api.read("child/served")
        break
    except LookupError:
        assert time.monotonic() < deadline, "the deployment never appeared"
        time.sleep(0.2)
    finally:
        api.close()


@task
def start_child(n: int) -> str:
    run = run_deployment("child/served", parameters={"n": n}, timeout=120, poll_interval=0.2)
    assert run.state is not None and run.state.type.value == "COMPLETED", run.state
    return run.id


@flow
def caller() -> str:
    return start_child(2)


if __name__ == "__main__":
    print(caller())
"""


def test_a_run_started_through_run_deployment_continues_the_callers_trace(
    run_script, receiver, otel_env, tmp_path: Path
) -> None:
    (tmp_path / "served.py").write_text(textwrap.dedent(SERVED))
    server = subprocess.Popen(
        [sys.executable, "served.py"], cwd=tmp_path, env=otel_env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        child_run_id = run_script(CALLER).strip().splitlines()[-1]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()

    caller_task = receiver.one("task start_child")
    deadline = time.monotonic() + 30  # the child's process exported at its exit
    while not receiver.named("flow child") and time.monotonic() < deadline:
        time.sleep(0.1)
    child = receiver.one("flow child")
    assert child.attributes["cadenza.run.id"] == child_run_id
    assert child.trace_id == caller_task.trace_id
    assert child.parent_span_id == caller_task.span_id
    step = receiver.one("task step")
    assert step.parent_span_id == child.span_id
