"""Timeouts fire within 0.5 s of the deadline and leave the run Failed/TimedOut."""

from __future__ import annotations

import asyncio
import time

from cadenza import flow, task


def test_sync_task_stuck_in_a_blocking_call_times_out_promptly(record):
    @task(timeout_seconds=0.5)
    def stuck():
        time.sleep(30)

    states = []

    @flow
    def f():
        states.append(stuck(return_state=True))

    started = time.monotonic()
    f()
    (state,) = states
    elapsed = time.monotonic() - started
    assert elapsed < 5.0, elapsed  # far from the 30 s sleep, on a busy machine too
    assert state.is_failed() and state.name == "TimedOut"
    assert "timeout of 0.5 second(s)" in state.message
    rows = record("SELECT state_name FROM task_runs WHERE id=?", state.state_details.task_run_id)
    assert rows == [("TimedOut",)]


def test_busy_python_loop_is_interrupted():
    progress = []

    @task(timeout_seconds=0.3)
    def spin():
        while True:
            progress.append(1)
            time.sleep(0.01)

    state = spin(return_state=True)
    assert state.name == "TimedOut"
    time.sleep(0.2)
    seen = len(progress)
    time.sleep(0.2)
    assert len(progress) == seen, "the timed-out thread kept running"


def test_async_task_timeout():
    @task(timeout_seconds=0.3)
    async def slow():
        await asyncio.sleep(10)

    @flow
    async def f():
        return {"state": await slow(return_state=True)}

    started = time.monotonic()
    state = asyncio.run(f())["state"]
    assert time.monotonic() - started < 0.8
    assert state.name == "TimedOut"


def test_sync_flow_timeout_does_not_wait_for_its_body(record):
    ran_after = []

    @task
    def later():
        ran_after.append(1)

    @flow(timeout_seconds=0.5)
    def f():
        time.sleep(1.0)
        later()

    started = time.monotonic()
    state = f(return_state=True)
    assert time.monotonic() - started < 1.0
    assert state.is_failed() and state.name == "TimedOut"
    time.sleep(0.8)  # the abandoned body wakes up; it must not start new tasks
    assert ran_after == []


def test_async_flow_timeout():
    @flow(timeout_seconds=0.3)
    async def f():
        await asyncio.sleep(5)

    started = time.monotonic()
    state = asyncio.run(f(return_state=True))
    assert time.monotonic() - started < 0.8
    assert state.name == "TimedOut"


def test_timed_out_task_is_retried():
    calls = []

    @task(timeout_seconds=0.2, retries=1)
    def slow_then_fast():
        calls.append(1)
        if len(calls) == 1:
            time.sleep(2)
        return "done"

    assert slow_then_fast() == "done"
