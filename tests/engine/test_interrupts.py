"""An interruption is raised in a thread only where the run can record how it ended: never
inside the code that writes the record or a result."""

from __future__ import annotations

import pickle
import sys
import threading

import pytest

from cadenza import task
from cadenza.engine.interrupts import raise_in_thread, safe_to_interrupt


class _BlockingSerializer:
    """Pickle, but `dumps` waits for `release` (it runs inside cadenza's results code)."""

    type = "pickle"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def dumps(self, obj: object) -> bytes:
        self.entered.set()
        self.release.wait(10)
        return pickle.dumps(obj)

    def loads(self, data: bytes) -> object:
        return pickle.loads(data)


def _run_in_thread(fn) -> tuple[threading.Thread, list]:
    outcome: list = []

    def target() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def test_a_thread_writing_a_result_is_not_interrupted(record):
    serializer = _BlockingSerializer()

    @task(persist_result=True, result_serializer=serializer)
    def produce():
        return 42

    thread, outcome = _run_in_thread(produce)
    assert serializer.entered.wait(10)
    assert not safe_to_interrupt(sys._current_frames()[thread.ident])
    assert raise_in_thread(thread.ident, KeyboardInterrupt) is False
    serializer.release.set()
    thread.join(10)
    assert outcome == [42]
    assert record("SELECT state_type FROM task_runs") == [("COMPLETED",)]


def test_a_thread_in_the_task_function_is_interrupted_and_the_run_cancelled(record):
    entered, release = threading.Event(), threading.Event()

    @task
    def waits():
        entered.set()
        release.wait(10)
        return "not interrupted"

    thread, outcome = _run_in_thread(waits)
    assert entered.wait(10)
    assert safe_to_interrupt(sys._current_frames()[thread.ident])
    assert raise_in_thread(thread.ident, KeyboardInterrupt) is True
    release.set()  # the blocked call returns, and the interruption is raised
    thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], KeyboardInterrupt)
    ((state, message),) = record("SELECT state_type, state_message FROM task_runs")
    assert state == "CANCELLED"
    assert message == "Task run was cancelled by an interrupt (KeyboardInterrupt)"


@pytest.mark.parametrize("check", [True, False])
def test_raise_in_thread_reaches_only_the_thread_it_names(check):
    release = threading.Event()
    thread, outcome = _run_in_thread(lambda: release.wait(10) and "done")
    other, other_outcome = _run_in_thread(lambda: release.wait(10) and "done")
    assert raise_in_thread(thread.ident, KeyboardInterrupt, check=check)
    release.set()
    thread.join(10)
    other.join(10)
    assert isinstance(outcome[0], KeyboardInterrupt)
    assert other_outcome == ["done"]
