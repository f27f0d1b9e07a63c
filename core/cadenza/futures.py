"""Futures: `wait` and `as_completed` over task-run futures, as in Prefect 3.

A cadenza future wraps a `concurrent.futures.Future` whose result is the task run's final
`State`; `result()` unwraps it (raising the run's exception on failure) and `state` gives it.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from cadenza.states import State


class CadenzaFuture:
    """The eventual final `State` of a task run submitted to a task runner."""

    __slots__ = ("_future", "task_run_id")

    def __init__(self, future: cf.Future, task_run_id: str | None = None) -> None:
        self._future = future
        self.task_run_id = task_run_id

    def wait(self, timeout: float | None = None) -> None:
        cf.wait([self._future], timeout=timeout)

    def done(self) -> bool:
        return self._future.done()

    @property
    def state(self) -> State:
        from cadenza.states import Pending

        return self._future.result() if self._future.done() else Pending()

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> Any:
        try:
            state: State = self._future.result(timeout=timeout)
        except cf.TimeoutError:
            raise TimeoutError(
                f"Task run {self.task_run_id} did not finish within {timeout} second(s)"
            ) from None
        return state.result(raise_on_failure=raise_on_failure)

    def add_done_callback(self, fn: Any) -> None:
        self._future.add_done_callback(lambda _: fn(self))

    def __repr__(self) -> str:
        return f"CadenzaFuture(task_run_id={self.task_run_id!r}, done={self.done()})"


class DoneAndNotDoneFutures(NamedTuple):
    done: set[CadenzaFuture]
    not_done: set[CadenzaFuture]


def wait(futures: Iterable[CadenzaFuture], timeout: float | None = None) -> DoneAndNotDoneFutures:
    """Wait until every future is done or `timeout` seconds pass; return (done, not_done)."""
    futures = list(futures)
    by_inner = {f._future: f for f in futures}
    done, not_done = cf.wait(list(by_inner), timeout=timeout)
    return DoneAndNotDoneFutures({by_inner[f] for f in done}, {by_inner[f] for f in not_done})


def as_completed(
    futures: Iterable[CadenzaFuture], timeout: float | None = None
) -> Iterator[CadenzaFuture]:
    """Yield futures as they finish (first finished first)."""
    by_inner = {f._future: f for f in futures}
    for inner in cf.as_completed(list(by_inner), timeout=timeout):
        yield by_inner[inner]


def resolve_wait_for(wait_for: Iterable[Any]) -> None:
    """Block until every future in `wait_for` is done (used for ordering without data)."""
    for item in wait_for:
        if hasattr(item, "wait"):
            item.wait()


__all__ = ["CadenzaFuture", "DoneAndNotDoneFutures", "as_completed", "wait"]
