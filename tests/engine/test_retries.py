"""Retries: raised and returned failures, sync and async, delays, conditions."""

from __future__ import annotations

import asyncio
import time

import pytest

from cadenza import flow, task
from cadenza.states import Completed, Failed
from cadenza.tasks import exponential_backoff


def _states(record, run_id):
    return [
        (t, n)
        for t, n in record("SELECT type, name FROM run_states WHERE run_id=? ORDER BY id", run_id)
    ]


def test_raised_failure_is_retried_until_success(record):
    calls = []

    @task(retries=3, retry_delay_seconds=0)
    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("not yet")
        return "ok"

    states = []

    @flow
    def f():
        states.append(flaky(return_state=True))

    f()
    (state,) = states
    assert state.is_completed() and state.result() == "ok"
    assert len(calls) == 3
    assert _states(record, state.state_details.task_run_id) == [
        ("PENDING", "Pending"),
        ("RUNNING", "Running"),
        ("FAILED", "Failed"),
        ("SCHEDULED", "AwaitingRetry"),
        ("RUNNING", "Retrying"),
        ("FAILED", "Failed"),
        ("SCHEDULED", "AwaitingRetry"),
        ("RUNNING", "Retrying"),
        ("COMPLETED", "Completed"),
    ]
    (run_count,) = record(
        "SELECT run_count FROM task_runs WHERE id=?", state.state_details.task_run_id
    )[0]
    assert run_count == 3


def test_retries_exhausted_raise_the_last_exception():
    @task(retries=2)
    def always_fails():
        raise KeyError("missing")

    @flow
    def f():
        return always_fails()

    with pytest.raises(KeyError, match="missing"):
        f()
    state = f(return_state=True)
    assert state.is_failed()
    assert "KeyError" in state.message


def test_returned_failed_state_is_retried_like_a_raised_one():
    calls = []

    @task(retries=1)
    def returns_failure():
        calls.append(1)
        return Failed("bad data") if len(calls) == 1 else Completed(data=7)

    @flow
    def f():
        return returns_failure()

    assert f() == 7
    assert len(calls) == 2


def test_async_task_retries_on_the_same_path():
    calls = []

    @task(retries=2, retry_delay_seconds=0.01)
    async def flaky():
        calls.append(1)
        await asyncio.sleep(0)
        if len(calls) < 2:
            raise RuntimeError("flaky")
        return 5

    @flow
    async def f():
        return await flaky()

    assert asyncio.run(f()) == 5
    assert len(calls) == 2


def test_retry_delays_from_a_list_are_waited():
    calls = []

    @task(retries=2, retry_delay_seconds=[0.2, 0.4])
    def flaky():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise ValueError
        return True

    flaky()
    assert calls[1] - calls[0] >= 0.19
    assert calls[2] - calls[1] >= 0.39


def test_exponential_backoff_and_jitter():
    assert exponential_backoff(2)(4) == [2, 4, 8, 16]
    calls = []

    @task(retries=1, retry_delay_seconds=exponential_backoff(0.2), retry_jitter_factor=0.5)
    def flaky():
        calls.append(time.monotonic())
        if len(calls) < 2:
            raise ValueError
        return True

    flaky()
    assert 0.09 <= calls[1] - calls[0] <= 0.5


def test_retry_condition_fn_can_veto_a_retry():
    calls = []

    def only_value_errors(task, task_run, state):
        try:
            state.result()
        except ValueError:
            return True
        except Exception:
            return False
        return False

    @task(retries=5, retry_condition_fn=only_value_errors)
    def fails_with_type_error():
        calls.append(1)
        raise TypeError("not retryable")

    with pytest.raises(TypeError):
        fails_with_type_error()
    assert len(calls) == 1


def test_flow_retries_rerun_the_body():
    calls = []

    @flow(retries=1)
    def f():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first try fails")
        return "second"

    assert f() == "second"


def test_invalid_retry_options_fail_at_decoration():
    with pytest.raises(ValueError, match="retries"):
        task(retries=-1)(lambda: None)
    with pytest.raises(ValueError, match="timeout_seconds"):
        task(timeout_seconds=0)(lambda: None)
