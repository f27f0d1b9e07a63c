"""Async flows and tasks, subflows, tasks outside flows."""

from __future__ import annotations

import asyncio
import time

from cadenza import flow, task


def test_async_tasks_run_concurrently_with_gather():
    @task
    async def wait(x):
        await asyncio.sleep(0.3)
        return x

    @flow
    async def f():
        return await asyncio.gather(*(wait(i) for i in range(5)))

    started = time.monotonic()
    assert asyncio.run(f()) == [0, 1, 2, 3, 4]
    assert time.monotonic() - started < 1.0


def test_sync_task_in_async_flow_and_async_task_in_sync_flow():
    @task
    def double(x):
        return 2 * x

    @task
    async def triple(x):
        return 3 * x

    @flow
    async def af():
        return double(2)

    @flow
    def sf():
        return triple(2)

    assert asyncio.run(af()) == 4
    assert sf() == 6


def test_subflow_is_linked_to_its_parent(record):
    @task
    def inc(x):
        return x + 1

    @flow
    def child(x: int):
        return inc(x)

    @flow
    def parent():
        return child(1) + child(2)

    state = parent(return_state=True)
    assert state.result() == 5
    parent_id = state.state_details.flow_run_id
    children = record(
        "SELECT flow_name, state_type FROM flow_runs WHERE parent_flow_run_id=?", parent_id
    )
    assert children == [("child", "COMPLETED"), ("child", "COMPLETED")]
    tasks = record(
        "SELECT count(*) FROM task_runs WHERE flow_run_id IN "
        "(SELECT id FROM flow_runs WHERE parent_flow_run_id=?)",
        parent_id,
    )
    assert tasks == [(2,)]


def test_task_outside_a_flow_runs_and_is_recorded(record):
    @task
    def add(a, b):
        return a + b

    assert add(1, 2) == 3
    rows = record("SELECT task_name, flow_run_id, state_type FROM task_runs")
    assert rows == [("add", None, "COMPLETED")]


def test_task_failure_propagates_and_fails_the_flow(record):
    @task
    def boom():
        raise ZeroDivisionError("nope")

    @flow
    def f():
        boom()
        return "unreachable"

    state = f(return_state=True)
    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), ZeroDivisionError)


def test_flow_returning_failed_states_fails():
    @task
    def bad():
        raise ValueError("x")

    @flow
    def f():
        return [bad(return_state=True), bad(return_state=True)]

    state = f(return_state=True)
    assert state.is_failed()
    assert state.message == "2/2 states failed."  # Prefect 3.9.1 wording


def test_task_run_name_template_and_fn():
    seen = []

    @task(task_run_name="add-{a}-{b}")
    def add(a, b=2):
        from cadenza.context import TaskRunContext

        ctx = TaskRunContext.get()
        seen.append(ctx.task_run.name if ctx else None)
        return a + b

    add(1)
    assert seen == ["add-1-2"]
    assert add.fn(1, 1) == 2  # the raw function: no task run
    assert seen == ["add-1-2", None]
