"""State change hooks as Prefect 3's documentation uses them ("State change hooks"), checked
against Prefect 3.9.1's behaviour."""

from __future__ import annotations

import asyncio

import pytest

from cadenza import flow, task
from cadenza.states import Cancelled, Crashed, Failed


class Calls(list):
    """Hooks record ``(label, run name, run's state name, state name)`` here."""

    def hook(self, label: str):
        def hook(obj, run, state):
            self.append((label, run.state.name if run.state else None, state.name))

        hook.__name__ = label
        return hook

    @property
    def labels(self) -> list[str]:
        return [c[0] for c in self]


# -- flows ------------------------------------------------------------------------------------
def test_flow_hooks_keyword_form_receive_flow_flow_run_and_state():
    # Prefect 3.9.1: on_running fires with the Running state, on_completion with Completed;
    # hooks get (flow, flow_run, state) and flow_run.state is the state they fire for.
    calls = Calls()

    @flow(
        on_running=[calls.hook("running")],
        on_completion=[calls.hook("completion")],
        on_failure=[calls.hook("failure")],
    )
    def my_flow(x: int = 1):
        return x

    assert my_flow(3) == 3
    assert calls == [("running", "Running", "Running"), ("completion", "Completed", "Completed")]


def test_flow_hooks_decorator_form_and_the_flow_run_they_receive():
    # Prefect 3.9.1: `@my_flow.on_completion` registers a hook; flow_run has name, id,
    # parameters and state, flow.name is "my-flow" (underscores become hyphens).
    seen = {}

    @flow
    def my_flow(x: int, y: str = "a"):
        return x

    @my_flow.on_completion
    def notify(flow, flow_run, state):
        seen["completion"] = (
            flow.name,
            bool(flow_run.name),
            str(flow_run.id) != "",
            dict(flow_run.parameters),
            flow_run.state.name,
            state.name,
        )

    @my_flow.on_running
    def started(flow, flow_run, state):
        seen["running"] = state.name

    @my_flow.on_failure
    def failed(flow, flow_run, state):
        seen["failure"] = state.name

    my_flow(5)
    assert seen == {
        "running": "Running",
        "completion": ("my-flow", True, True, {"x": 5, "y": "a"}, "Completed", "Completed"),
    }


def test_flow_on_failure_fires_once_after_the_last_retry():
    # Prefect 3.9.1: a flow with retries=1 that always raises fires on_running twice and
    # on_failure once, at the end.
    calls = Calls()

    @flow(
        retries=1,
        on_running=[calls.hook("running")],
        on_failure=[calls.hook("failure")],
        on_completion=[calls.hook("completion")],
    )
    def my_flow():
        raise RuntimeError("bad")

    state = my_flow(return_state=True)
    assert state.is_failed()
    assert calls.labels == ["running", "running", "failure"]
    assert calls[-1][1:] == ("Failed", "Failed")


def test_flow_returning_a_failed_state_fires_on_failure():
    # Prefect 3.9.1: `return Failed(message="x")` fires on_failure, not on_completion.
    calls = Calls()

    @flow(on_failure=[calls.hook("failure")], on_completion=[calls.hook("completion")])
    def my_flow():
        return Failed(message="x")

    my_flow(return_state=True)
    assert calls.labels == ["failure"]


def test_flow_crashed_by_system_exit_fires_on_crashed():
    # Prefect 3.9.1: a flow whose body raises SystemExit ends Crashed and fires on_crashed
    # (not on_failure); the SystemExit goes on up.
    calls = Calls()

    @flow(on_crashed=[calls.hook("crashed")], on_failure=[calls.hook("failure")])
    def my_flow():
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        my_flow()
    assert calls == [("crashed", "Crashed", "Crashed")]


def test_flow_returning_crashed_fires_on_crashed():
    # Prefect 3.9.1: hooks follow the final state's type: a Crashed state fires on_crashed.
    calls = Calls()

    @flow(on_crashed=[calls.hook("crashed")], on_failure=[calls.hook("failure")])
    def my_flow():
        return Crashed(message="infrastructure went away")

    assert my_flow(return_state=True).is_crashed()
    assert calls.labels == ["crashed"]


def test_flow_returning_cancelled_does_not_fire_on_failure():
    # Prefect 3.9.1: a returned Cancelled state fires neither on_failure nor on_completion
    # (nor on_cancellation, which Prefect keeps for cancellation requests; cadenza fires it
    # here, see docs/concepts/flows.md#state-hooks).
    calls = Calls()

    @flow(
        on_cancellation=[calls.hook("cancellation")],
        on_failure=[calls.hook("failure")],
        on_completion=[calls.hook("completion")],
    )
    def my_flow():
        return Cancelled(message="stop")

    assert my_flow(return_state=True).is_cancelled()
    assert calls.labels == ["cancellation"]


def test_a_hook_that_raises_is_logged_and_does_not_change_the_state(caplog):
    # Prefect 3.9.1: the error is logged, the next hook still runs, the run stays Completed.
    calls = Calls()

    def broken(flow, flow_run, state):
        raise KeyError("hook broke")

    @flow(on_completion=[broken, calls.hook("after")])
    def my_flow():
        return 5

    state = my_flow(return_state=True)
    assert state.is_completed() and state.result() == 5
    assert calls.labels == ["after"]
    assert "broken" in caplog.text


def test_async_hooks_on_sync_and_async_flows_and_tasks():
    # Prefect 3.9.1: an async hook is awaited, on a sync flow, an async flow and a task.
    calls = []

    async def record(obj, run, state):
        await asyncio.sleep(0)
        calls.append((type(obj).__name__, state.name))

    @flow(on_completion=[record])
    def sync_flow():
        return 1

    @flow(on_completion=[record])
    async def async_flow():
        return 1

    @task(on_completion=[record])
    def my_task():
        return 1

    @flow
    def with_task():
        return my_task()

    sync_flow()
    asyncio.run(async_flow())
    with_task()
    assert calls == [("Flow", "Completed"), ("Flow", "Completed"), ("Task", "Completed")]


def test_subflow_hooks_fire():
    # Prefect 3.9.1: a subflow's on_running and on_completion fire as for any flow.
    calls = Calls()

    @flow(on_running=[calls.hook("running")], on_completion=[calls.hook("completion")])
    def child():
        return 1

    @flow
    def parent():
        return child()

    assert parent() == 1
    assert calls.labels == ["running", "completion"]


# -- tasks ------------------------------------------------------------------------------------
def test_task_on_failure_fires_once_after_the_last_retry():
    # Prefect 3.9.1: retries=2, always raising: on_running fires as Running, Retrying,
    # Retrying (task_run.run_count 1, 2, 3), then on_failure once; never on_completion.
    calls = []

    def record(label):
        def hook(task, task_run, state):
            calls.append((label, state.name, task_run.run_count))

        return hook

    @task(
        retries=2,
        on_running=[record("running")],
        on_failure=[record("failure")],
        on_completion=[record("completion")],
    )
    def flaky():
        raise ValueError("nope")

    @flow
    def my_flow():
        flaky(return_state=True)

    my_flow()
    assert calls == [
        ("running", "Running", 1),
        ("running", "Retrying", 2),
        ("running", "Retrying", 3),
        ("failure", "Failed", 3),
    ]


def test_task_hooks_decorator_form_receive_task_and_task_run():
    # Prefect 3.9.1: `@my_task.on_completion`; the hook gets (task, task_run, state) with
    # task.name, task_run.name, task_run.state and state.result().
    seen = {}

    @task
    def double(x):
        return 2 * x

    @double.on_completion
    def done(task, task_run, state):
        seen["completion"] = (
            task.name,
            task_run.name.startswith("double-"),
            task_run.state.name,
            state.result(),
        )

    @double.on_running
    def running(task, task_run, state):
        seen["running"] = state.name

    @flow
    def my_flow():
        return double(2)

    assert my_flow() == 4
    assert seen == {"running": "Running", "completion": ("double", True, "Completed", 4)}


def test_task_returning_failed_state_fires_on_failure():
    # Prefect 3.9.1: a task returning Failed(...) fires on_failure.
    calls = Calls()

    @task(on_failure=[calls.hook("failure")], on_completion=[calls.hook("completion")])
    def my_task():
        return Failed(message="x")

    @flow
    def my_flow():
        my_task(return_state=True)

    my_flow()
    assert calls.labels == ["failure"]


def test_mapped_task_hooks_fire_per_run():
    # Prefect 3.9.1: on_completion fires once for each mapped task run.
    calls = Calls()

    @task(on_completion=[calls.hook("completion")])
    def identity(x):
        return x

    @flow
    def my_flow():
        return identity.map([1, 2]).result()

    assert my_flow() == [1, 2]
    assert calls.labels == ["completion", "completion"]


def test_timed_out_task_fires_on_failure_with_timed_out_state():
    # Prefect 3.9.1: a task past timeout_seconds fires on_failure with a "TimedOut" state.
    calls = Calls()

    @task(timeout_seconds=0.2, on_failure=[calls.hook("failure")])
    def slow():
        import time

        time.sleep(2)

    @flow
    def my_flow():
        return slow(return_state=True)

    assert my_flow(return_state=True).is_failed()
    assert calls == [("failure", "TimedOut", "TimedOut")]


def test_tasks_take_the_same_hook_options_as_in_prefect():
    # Prefect 3.9.1: tasks have on_completion, on_failure, on_running (no on_crashed).
    @task
    def my_task():
        return 1

    for name in ("on_completion", "on_failure", "on_running"):
        assert callable(getattr(my_task, name))
    with pytest.raises(TypeError):
        task(on_crashed=[lambda *a: None])(lambda: 1)
