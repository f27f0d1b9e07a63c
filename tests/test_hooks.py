"""State hooks on tasks and flows, and `with_options`."""

from __future__ import annotations

import pytest

from cadenza import Flow, Task, flow, task
from cadenza.runs import FlowRun, TaskRun
from cadenza.states import StateType


class Recorder:
    """A hook that remembers each call as (label, owner, run, state)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def hook(self, label: str):
        def _hook(owner, run, state):
            self.calls.append((label, owner, run, state))

        _hook.__name__ = f"hook_{label}"
        return _hook

    @property
    def labels(self) -> list[str]:
        return [c[0] for c in self.calls]


def _final_state(record, table: str, run_id: str):
    return record(f"SELECT state_type, state_name FROM {table} WHERE id = ?", run_id)[0]


# -- task hooks -----------------------------------------------------------------------------------
def test_task_hooks_on_success_receive_task_run_and_state():
    rec = Recorder()

    @task(
        on_running=[rec.hook("running")],
        on_completion=[rec.hook("completed")],
        on_failure=[rec.hook("failed")],
    )
    def ok():
        return 3

    states = []

    @flow
    def parent():
        states.append(ok(return_state=True))

    parent()
    (state,) = states
    assert rec.labels == ["running", "completed"]
    (_, owner, run, running), (_, owner2, run2, completed) = rec.calls
    assert owner is ok and owner2 is ok
    assert isinstance(run, TaskRun) and run is run2
    assert run.id == state.state_details.task_run_id
    assert running.type is StateType.RUNNING
    assert completed.type is StateType.COMPLETED
    assert completed.result() == 3
    assert completed is run.state


def test_task_on_failure_receives_failed_state():
    rec = Recorder()

    @task(on_completion=[rec.hook("completed")], on_failure=[rec.hook("failed")])
    def bad():
        raise ValueError("nope")

    @flow
    def parent():
        bad(return_state=True)

    parent()
    assert rec.labels == ["failed"]
    _, owner, run, state = rec.calls[0]
    assert owner is bad
    assert isinstance(run, TaskRun)
    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), ValueError)


def test_task_on_failure_fires_once_after_retries_are_exhausted():
    rec = Recorder()

    @task(retries=2, on_running=[rec.hook("running")], on_failure=[rec.hook("failed")])
    def flaky():
        raise RuntimeError("again")

    state = flaky(return_state=True)
    assert state.is_failed()
    assert rec.labels == ["running", "running", "running", "failed"]
    assert [c[3].name for c in rec.calls[:3]] == ["Running", "Retrying", "Retrying"]


def test_task_decorator_style_hooks():
    rec = Recorder()

    @task
    def decorated(x):
        if x < 0:
            raise ValueError(x)
        return x

    completion = decorated.on_completion(rec.hook("completed"))
    failure = decorated.on_failure(rec.hook("failed"))
    running = decorated.on_running(rec.hook("running"))
    assert callable(completion) and callable(failure) and callable(running)
    assert completion.__name__ == "hook_completed"  # the decorator returns the hook

    decorated(1)
    decorated(-1, return_state=True)
    assert rec.labels == ["running", "completed", "running", "failed"]


def test_single_callable_accepted_as_hook_list():
    rec = Recorder()

    @task(on_completion=rec.hook("completed"))
    def ok():
        return 1

    ok()
    assert rec.labels == ["completed"]


def test_non_callable_hook_is_a_type_error():
    with pytest.raises(TypeError, match="on_completion"):
        task(lambda: 1, on_completion=[42])


# -- flow hooks -----------------------------------------------------------------------------------
def test_flow_hooks_on_success():
    rec = Recorder()

    @flow(
        on_running=[rec.hook("running")],
        on_completion=[rec.hook("completed")],
        on_failure=[rec.hook("failed")],
    )
    def ok_flow():
        return "done"

    state = ok_flow(return_state=True)
    assert rec.labels == ["running", "completed"]
    _, owner, run, completed = rec.calls[1]
    assert owner is ok_flow
    assert isinstance(run, FlowRun)
    assert run.id == state.state_details.flow_run_id
    assert rec.calls[0][3].is_running()
    assert completed.is_completed() and completed.result() == "done"


def test_flow_on_failure():
    rec = Recorder()

    @flow(on_completion=[rec.hook("completed")], on_failure=[rec.hook("failed")])
    def bad_flow():
        raise KeyError("k")

    with pytest.raises(KeyError):
        bad_flow()
    assert rec.labels == ["failed"]
    _, owner, run, state = rec.calls[0]
    assert owner is bad_flow and isinstance(run, FlowRun)
    assert state.is_failed()


def test_flow_decorator_style_hooks():
    rec = Recorder()

    @flow
    def decorated_flow():
        return 1

    decorated_flow.on_running(rec.hook("running"))
    decorated_flow.on_completion(rec.hook("completed"))
    decorated_flow()
    assert rec.labels == ["running", "completed"]


# -- a hook that raises ---------------------------------------------------------------------------
def test_raising_task_hook_is_logged_and_state_unchanged(record):
    def broken_hook(owner, run, state):
        raise RuntimeError("hook exploded")

    @task(on_completion=[broken_hook])
    def ok():
        return 5

    states = []

    @flow
    def parent():
        states.append(ok(return_state=True))

    parent()
    (state,) = states
    assert state.is_completed() and state.result() == 5
    run_id = state.state_details.task_run_id
    assert _final_state(record, "task_runs", run_id) == ("COMPLETED", "Completed")
    errors = record("SELECT message FROM logs WHERE task_run_id = ? AND level = 40", run_id)
    assert len(errors) == 1
    assert "broken_hook" in errors[0][0]
    assert "RuntimeError: hook exploded" in errors[0][0]


def test_raising_flow_hook_is_logged_and_state_unchanged(record):
    later = []

    def broken_hook(owner, run, state):
        raise RuntimeError("flow hook exploded")

    def later_hook(owner, run, state):
        later.append(state)

    @flow(on_completion=[broken_hook, later_hook])
    def ok_flow():
        return "result"

    state = ok_flow(return_state=True)
    assert state.is_completed() and state.result() == "result"
    assert len(later) == 1  # later hooks still run
    run_id = state.state_details.flow_run_id
    assert _final_state(record, "flow_runs", run_id) == ("COMPLETED", "Completed")
    errors = record(
        "SELECT message FROM logs WHERE flow_run_id = ? AND task_run_id IS NULL AND level = 40",
        run_id,
    )
    assert len(errors) == 1
    assert "broken_hook" in errors[0][0] and "flow hook exploded" in errors[0][0]


def test_raising_failure_hook_keeps_failed(record):
    def broken_hook(owner, run, state):
        raise RuntimeError("hook exploded")

    @flow(on_failure=[broken_hook])
    def bad_flow():
        raise ValueError("body failed")

    state = bad_flow(return_state=True)
    assert state.is_failed()
    assert _final_state(record, "flow_runs", state.state_details.flow_run_id) == (
        "FAILED",
        "Failed",
    )


# -- cancellation and crashes ---------------------------------------------------------------------
def test_keyboard_interrupt_cancels_the_flow_and_fires_on_cancellation(record):
    rec = Recorder()

    @flow(
        on_cancellation=[rec.hook("cancelled")],
        on_crashed=[rec.hook("crashed")],
        on_failure=[rec.hook("failed")],
        on_completion=[rec.hook("completed")],
    )
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert rec.labels == ["cancelled"]
    _, owner, run, state = rec.calls[0]
    assert owner is interrupted and isinstance(run, FlowRun)
    assert state.type is StateType.CANCELLED
    assert "KeyboardInterrupt" in state.message
    assert _final_state(record, "flow_runs", run.id) == ("CANCELLED", "Cancelled")


def test_keyboard_interrupt_in_a_task_cancels_task_and_flow(record):
    rec = Recorder()
    runs = {}

    @task
    def interrupted_task():
        raise KeyboardInterrupt

    @flow(on_cancellation=[rec.hook("cancelled")])
    def parent():
        interrupted_task()

    with pytest.raises(KeyboardInterrupt):
        parent()
    assert rec.labels == ["cancelled"]
    runs["flow"] = rec.calls[0][2].id
    assert _final_state(record, "flow_runs", runs["flow"]) == ("CANCELLED", "Cancelled")
    task_states = record("SELECT state_type FROM task_runs WHERE flow_run_id = ?", runs["flow"])
    assert task_states == [("CANCELLED",)]


def test_system_exit_crashes_the_flow_and_fires_on_crashed(record):
    rec = Recorder()

    @flow(on_cancellation=[rec.hook("cancelled")], on_crashed=[rec.hook("crashed")])
    def exits():
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        exits()
    assert rec.labels == ["crashed"]
    _, owner, run, state = rec.calls[0]
    assert owner is exits
    assert state.type is StateType.CRASHED
    assert _final_state(record, "flow_runs", run.id) == ("CRASHED", "Crashed")


def test_termination_signal_crashes_the_flow_and_exits(record):
    from cadenza.exceptions import TerminationSignal

    rec = Recorder()

    @flow(on_crashed=[rec.hook("crashed")])
    def terminated():
        raise TerminationSignal(15)

    with pytest.raises(SystemExit) as info:
        terminated()
    assert info.value.code == 128 + 15
    assert rec.labels == ["crashed"]
    assert rec.calls[0][3].is_crashed()
    assert _final_state(record, "flow_runs", rec.calls[0][2].id)[0] == "CRASHED"


# -- with_options ---------------------------------------------------------------------------------
def test_task_with_options_returns_a_new_task_keeping_hooks():
    rec = Recorder()

    @task(on_completion=[rec.hook("completed")], on_failure=[rec.hook("failed")], tags=["a"])
    def original(x):
        return x * 2

    original.on_running(rec.hook("running"))
    copy = original.with_options(name="renamed", retries=2)
    assert isinstance(copy, Task)
    assert copy is not original
    assert copy.fn is original.fn
    assert copy.name == "renamed" and copy.retries == 2
    assert original.name == "original" and original.retries == 0
    assert copy.tags == ("a",)
    assert copy.on_completion_hooks == original.on_completion_hooks
    assert copy.on_running_hooks == original.on_running_hooks
    assert copy.on_completion_hooks is not original.on_completion_hooks

    assert copy(4) == 8
    assert rec.labels == ["running", "completed"]
    assert rec.calls[1][1] is copy  # hooks receive the task that ran


def test_task_with_options_hooks_are_independent_after_copy():
    rec = Recorder()

    @task
    def original():
        return 1

    copy = original.with_options(name="copy")
    copy.on_completion(rec.hook("copy-only"))
    original()
    assert rec.labels == []
    copy()
    assert rec.labels == ["copy-only"]


def test_flow_with_options_returns_a_new_flow_keeping_hooks(record):
    rec = Recorder()

    @flow(
        on_completion=[rec.hook("completed")],
        on_cancellation=[rec.hook("cancelled")],
        on_crashed=[rec.hook("crashed")],
        validate_parameters=False,
    )
    def original_flow(x: int):
        return x

    copy = original_flow.with_options(name="renamed-flow", retries=1)
    assert isinstance(copy, Flow)
    assert copy is not original_flow
    assert copy.name == "renamed-flow" and copy.retries == 1
    assert original_flow.name == "original-flow" and original_flow.retries == 0
    assert copy.validate_parameters is False
    assert copy.on_cancellation_hooks == original_flow.on_cancellation_hooks
    assert copy.on_crashed_hooks == original_flow.on_crashed_hooks

    assert copy("7") == "7"  # validation stays off
    assert rec.labels == ["completed"]
    assert record("SELECT flow_name FROM flow_runs") == [("renamed-flow",)]


@pytest.mark.parametrize(
    "make", [lambda: task(lambda: 1), lambda: flow(lambda: 1)], ids=["task", "flow"]
)
def test_with_options_unknown_option_is_a_type_error_naming_it(make):
    obj = make()
    with pytest.raises(TypeError, match="not_an_option"):
        obj.with_options(name="x", not_an_option=1)


def test_task_only_option_is_unknown_for_flows():
    @flow
    def f():
        return 1

    with pytest.raises(TypeError, match="cache_key_fn"):
        f.with_options(cache_key_fn=lambda *a: "k")


# -- more hook behaviour --------------------------------------------------------------------------
def test_raising_on_running_hook_does_not_stop_the_run(record):
    def broken_running(owner, run, state):
        raise RuntimeError("running hook exploded")

    @flow(on_running=[broken_running])
    def still_runs():
        return "ran"

    state = still_runs(return_state=True)
    assert state.is_completed() and state.result() == "ran"
    errors = record(
        "SELECT message FROM logs WHERE flow_run_id = ? AND level = 40",
        state.state_details.flow_run_id,
    )
    assert len(errors) == 1 and "broken_running" in errors[0][0]


def test_async_hook_of_a_sync_flow_is_awaited():
    done = []

    async def async_hook(owner, run, state):
        import asyncio

        await asyncio.sleep(0.01)
        done.append(state.name)

    @flow(on_completion=[async_hook])
    def sync_flow():
        return 1

    sync_flow()
    assert done == ["Completed"]


def test_async_hook_of_an_async_flow_completes_before_the_flow_returns():
    import asyncio

    done = []

    async def async_hook(owner, run, state):
        await asyncio.sleep(0.01)
        done.append(state.name)

    @flow(on_completion=[async_hook])
    async def async_flow():
        return 1

    async def main():
        result = await async_flow()
        hook_finished = list(done)
        return result, hook_finished

    result, hook_finished = asyncio.run(main())
    assert result == 1
    assert hook_finished == ["Completed"]


def test_raising_async_hook_of_an_async_flow_is_logged_and_state_unchanged(record):
    import asyncio

    async def broken_async_hook(owner, run, state):
        await asyncio.sleep(0)
        raise RuntimeError("async hook exploded")

    @flow(on_completion=[broken_async_hook])
    async def async_flow():
        return 2

    state = asyncio.run(async_flow(return_state=True))
    assert state.is_completed() and state.result() == 2
    run_id = state.state_details.flow_run_id
    assert _final_state(record, "flow_runs", run_id) == ("COMPLETED", "Completed")
    errors = record("SELECT message FROM logs WHERE flow_run_id = ? AND level = 40", run_id)
    assert len(errors) == 1
    assert "broken_async_hook" in errors[0][0] and "async hook exploded" in errors[0][0]
