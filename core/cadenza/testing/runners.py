"""The task runner conformance suite: the behaviour every runner shares with the default one.

The checks go through the public hooks a runner implements (docs/howto/write-a-task-runner.md):
`TaskRunner.launch` receives every ready run once, with its arguments resolved, and settles it
through the `ReadyTaskRun`; ``with runner:`` starts the runner and waits for every run before
`TaskRunner.shutdown`; `TaskRunner.cancel_all` leaves no run unsettled.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import pytest

from cadenza import flow, task, unmapped
from cadenza.task_runners import ReadyTaskRun, TaskRunner

# Tasks are defined at module level, so runners that ship tasks to other processes import them.


def _inc(x: int, by: int = 1) -> int:
    return x + by


def _fail(message: str) -> None:
    raise ValueError(message)


def _nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


class TaskRunnerConformance:
    """Subclass and provide a ``task_runner`` fixture returning a new, unstarted runner."""

    @pytest.fixture(autouse=True)
    def _isolated_home(self, cadenza_isolated_home: Any) -> None:
        """Each check runs with its own CADENZA_HOME."""

    @pytest.fixture
    def task_runner(self) -> Any:
        raise NotImplementedError("provide a `task_runner` fixture returning a fresh runner")

    def test_is_a_task_runner_with_duplicate(self, task_runner: Any) -> None:
        assert isinstance(task_runner, TaskRunner)
        copy = task_runner.duplicate()
        assert type(copy) is type(task_runner) and copy is not task_runner

    def test_implements_the_launch_hook(self, task_runner: Any) -> None:
        assert type(task_runner).launch is not TaskRunner.launch, (
            f"{type(task_runner).__name__} must implement launch(ready)"
        )

    def test_launch_receives_each_ready_run_once_with_resolved_arguments(
        self, task_runner: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        launched: list[ReadyTaskRun] = []
        original = type(task_runner).launch

        def spy(self: Any, ready: ReadyTaskRun) -> None:
            assert isinstance(ready, ReadyTaskRun)
            assert not ready.done  # nobody settled it before the runner had it
            launched.append(ready)
            original(self, ready)

        monkeypatch.setattr(type(task_runner), "launch", spy)
        inc = task(_inc)

        @flow(task_runner=task_runner)
        def conformance_flow() -> tuple:
            first = inc.submit(1)
            second = inc.submit(first, by=5)
            return (first.task_run_id, second.task_run_id), second.result()

        (first_id, second_id), value = conformance_flow()
        assert value == 7
        assert [ready.task_run.id for ready in launched] == [first_id, second_id]
        second = launched[1]
        bound = inspect.signature(_inc).bind(*second.args, **second.kwargs).arguments
        assert bound == {"x": 2, "by": 5}  # the future was replaced by its result
        assert all(ready.done for ready in launched)

    def test_a_settled_run_ignores_a_second_settlement(
        self, task_runner: Any, monkeypatch: pytest.MonkeyPatch, cadenza_record: Any
    ) -> None:
        launched: list[ReadyTaskRun] = []
        original = type(task_runner).launch

        def spy(self: Any, ready: ReadyTaskRun) -> None:
            launched.append(ready)
            original(self, ready)

        monkeypatch.setattr(type(task_runner), "launch", spy)
        inc = task(_inc)

        @flow(task_runner=task_runner)
        def conformance_flow() -> int:
            return inc.submit(1).result()

        assert conformance_flow() == 2
        (ready,) = launched
        state = ready.crash(RuntimeError("a late second settlement"))
        assert state.is_completed()  # the first settlement stands ...
        rows = cadenza_record("SELECT state_type FROM task_runs")
        assert rows == [("COMPLETED",)]  # ... in the record too

    def test_submit_map_and_dependencies(self, task_runner: Any, cadenza_record: Any) -> None:
        inc = task(_inc)

        @flow(task_runner=task_runner)
        def conformance_flow() -> tuple:
            first = inc.submit(1)
            second = inc.submit(first)
            mapped = inc.map([1, 2, 3], by=unmapped(10))
            return second.result(), mapped.result()

        assert conformance_flow() == (3, [11, 12, 13])
        rows = cadenza_record("SELECT state_type, count(*) FROM task_runs GROUP BY state_type")
        assert rows == [("COMPLETED", 5)]
        states = cadenza_record(
            "SELECT count(*) FROM run_states WHERE run_id IN (SELECT id FROM task_runs)"
        )
        assert states == [(15,)]

    def test_failures_are_recorded_and_stop_dependents(
        self, task_runner: Any, cadenza_record: Any
    ) -> None:
        fail = task(_fail)
        inc = task(_inc)

        seen = []

        @flow(task_runner=task_runner)
        def conformance_flow() -> None:
            bad = fail.submit("conformance failure")
            after = inc.submit(bad)
            after.wait()
            seen.extend([bad.state, after.state])

        conformance_flow()  # returning the failed states would fail the flow run itself
        bad, after = seen
        assert bad.is_failed() and "conformance failure" in bad.message
        assert after.is_failed() and after.name == "NotReady"
        rows = cadenza_record("SELECT state_name FROM task_runs ORDER BY created")
        assert rows == [("Failed",), ("NotReady",)]

    def test_used_directly_as_a_context_manager(self, task_runner: Any) -> None:
        """``with runner:`` starts it, and leaving the block waits for every run before
        `shutdown` — what a flow run does with its runner."""
        inc = task(_inc)

        @flow
        def conformance_flow() -> list:
            with task_runner.duplicate() as runner:
                assert isinstance(runner, type(task_runner))
                futures = [runner.submit(inc, {"x": x}) for x in range(3)]
            assert all(future.done() for future in futures)
            return [future.result() for future in futures]

        assert conformance_flow() == [1, 2, 3]

    def test_cancel_all_settles_every_run(self, task_runner: Any, cadenza_record: Any) -> None:
        """Interrupted, the runner leaves no run unsettled: runs under way end Crashed or
        Cancelled (or Completed, if they finished first), runs that never started end
        Cancelled, and `cancel_all` returns within its grace."""
        nap = task(_nap)
        inc = task(_inc)
        states = []

        @flow
        def conformance_flow() -> float:
            with task_runner.duplicate() as runner:
                naps = [runner.submit(nap, {"seconds": 0.5}) for _ in range(2)]
                after = runner.submit(inc, {"x": naps[0]})
                started = time.monotonic()
                runner.cancel_all(KeyboardInterrupt(), grace=0.2)
                took = time.monotonic() - started
                assert all(future.done() for future in [*naps, after])
                states.extend(future.state for future in [*naps, after])
            return took  # returning the states would fail the flow run itself

        took = conformance_flow()
        assert took < 5, f"cancel_all took {took:.1f} s"
        *nap_states, after_state = states
        assert after_state.is_cancelled(), after_state  # its upstream never finished
        for state in nap_states:
            assert state.is_final() and state.type.value in {"CANCELLED", "CRASHED", "COMPLETED"}
        rows = cadenza_record("SELECT count(*) FROM task_runs WHERE state_type IS NULL")
        assert rows == [(0,)]


__all__ = ["TaskRunnerConformance"]
