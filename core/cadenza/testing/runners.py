"""The task runner conformance suite: the behaviour every runner shares with the default one."""

from __future__ import annotations

from typing import Any

import pytest

from cadenza import flow, task, unmapped
from cadenza.task_runners import TaskRunner


def _inc(x: int, by: int = 1) -> int:
    return x + by


def _fail(message: str) -> None:
    raise ValueError(message)


class TaskRunnerConformance:
    """Subclass and provide a ``task_runner`` fixture returning a new, unstarted runner.

    Tasks are defined at module level of this file, so runners that ship tasks to other
    processes can import them.
    """

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
