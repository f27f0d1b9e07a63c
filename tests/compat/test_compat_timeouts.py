"""Timeouts and retries as Prefect 3's documentation uses them ("Write tasks": timeouts,
retries, custom retry behavior), checked against Prefect 3.9.1's behaviour."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from cadenza import flow, task
from cadenza.exceptions import FlowRunTimeoutError, TaskRunTimeoutError
from cadenza.tasks import exponential_backoff


@task(timeout_seconds=0.3)
def slow_task():
    time.sleep(3)
    return 1


def test_a_task_timeout_is_caught_by_except_timeout_error():
    # Prefect 3.9.1: calling a timed-out task raises TaskRunTimeoutError, a TimeoutError, which
    # the flow's `except TimeoutError` catches; the same through future.result().
    @flow
    def my_flow():
        caught = []
        try:
            slow_task()
        except TimeoutError as exc:
            caught.append(type(exc).__name__)
        try:
            slow_task.submit().result()
        except TimeoutError as exc:
            caught.append(type(exc).__name__)
        return caught

    assert my_flow() == ["TaskRunTimeoutError", "TaskRunTimeoutError"]
    assert issubclass(TaskRunTimeoutError, TimeoutError)


def test_a_timed_out_task_ends_timed_out_with_prefects_message():
    # Prefect 3.9.1: Failed, named "TimedOut", "Task run exceeded timeout of 0.3 second(s)";
    # result(raise_on_failure=False) is the TaskRunTimeoutError.
    @flow
    def my_flow():
        state = slow_task(return_state=True)
        return state.type.value, state.name, state.message, state.result(raise_on_failure=False)

    type_, name, message, error = my_flow()
    assert (type_, name) == ("FAILED", "TimedOut")
    assert message == "Task run exceeded timeout of 0.3 second(s)"
    assert isinstance(error, TaskRunTimeoutError)


def test_an_async_task_times_out_the_same_way():
    # Prefect 3.9.1: an async task past its timeout ends TimedOut with the same message.
    @task(timeout_seconds=0.3)
    async def slow_async():
        await asyncio.sleep(3)

    @flow
    async def my_flow():
        state = await slow_async(return_state=True)
        return state.name, state.message

    assert asyncio.run(my_flow()) == ("TimedOut", "Task run exceeded timeout of 0.3 second(s)")


def test_a_flow_timeout_raises_flow_run_timeout_error():
    # Prefect 3.9.1: the flow ends Failed "TimedOut", "Flow run exceeded timeout of 0.3
    # second(s)"; calling it raises FlowRunTimeoutError, a TimeoutError.
    @flow(timeout_seconds=0.3)
    def my_flow():
        time.sleep(3)

    state = my_flow(return_state=True)
    assert (state.type.value, state.name) == ("FAILED", "TimedOut")
    assert state.message == "Flow run exceeded timeout of 0.3 second(s)"
    assert isinstance(state.result(raise_on_failure=False), FlowRunTimeoutError)
    with pytest.raises(TimeoutError):
        my_flow()


def test_retry_delay_seconds_as_a_list():
    # Prefect 3.9.1: retries=3, retry_delay_seconds=[0.1, 0.2, 0.3] waits 0.1, 0.2, 0.3.
    starts = []

    @task(retries=3, retry_delay_seconds=[0.1, 0.2, 0.3])
    def flaky():
        starts.append(time.monotonic())
        raise ValueError("x")

    @flow
    def my_flow():
        return flaky(return_state=True)

    assert my_flow(return_state=True).is_failed()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4
    for gap, delay in zip(gaps, [0.1, 0.2, 0.3], strict=True):
        assert delay <= gap < delay + 0.5  # the margin: a loaded machine


def test_exponential_backoff():
    # Prefect 3.9.1: exponential_backoff(backoff_factor=10)(3) == [10, 20, 40].
    assert exponential_backoff(backoff_factor=10)(3) == [10, 20, 40]
    assert exponential_backoff(1)(4) == [1, 2, 4, 8]


def test_retry_condition_fn_gets_task_task_run_state_and_false_stops_retrying():
    # Prefect 3.9.1: retry_condition_fn(task, task_run, state) is asked after each failure;
    # here it retries ValueError and stops at KeyError: 3 calls, the run ends Failed.
    asked = []
    attempts = []

    def retry_value_errors(task, task_run, state) -> bool:
        asked.append((task.name, task_run.run_count, state.name))
        try:
            state.result()
        except ValueError:
            return True
        except Exception:
            return False
        return False

    @task(retries=5, retry_condition_fn=retry_value_errors)
    def fetch():
        attempts.append(1)
        if len(attempts) < 3:
            raise ValueError("retry me")
        raise KeyError("do not retry")

    @flow
    def my_flow():
        return fetch(return_state=True)

    state = my_flow(return_state=True)
    assert state.is_failed()
    assert len(attempts) == 3
    assert asked == [("fetch", 1, "Failed"), ("fetch", 2, "Failed"), ("fetch", 3, "Failed")]


def test_flow_retries():
    # Prefect 3.9.1: @flow(retries=2) runs a failing body three times, then ends Failed.
    calls = []

    @flow(retries=2, retry_delay_seconds=0)
    def my_flow():
        calls.append(1)
        raise ValueError("x")

    assert my_flow(return_state=True).is_failed()
    assert len(calls) == 3


def test_retry_condition_fn_reads_the_result_of_an_async_task():
    # Prefect 3.9.1 calls retry_condition_fn inside the async task's context, where
    # state.result() is an awaitable the sync function cannot await; cadenza hands it the
    # value, so Prefect's documented `try: state.result() except ...` pattern works here too.
    attempts = []

    def retry_value_errors(task, task_run, state) -> bool:
        try:
            state.result()
        except ValueError:
            return True
        return False

    @task(retries=2, retry_condition_fn=retry_value_errors)
    async def fetch():
        attempts.append(1)
        raise ValueError("retry me")

    @flow
    async def my_flow():
        return await fetch(return_state=True)

    assert asyncio.run(my_flow(return_state=True)).is_failed()
    assert len(attempts) == 3
