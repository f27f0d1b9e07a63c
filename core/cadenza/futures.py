"""Futures of submitted task runs, and `wait` / `as_completed`, as in Prefect 3.

A `CadenzaFuture` wraps a `concurrent.futures.Future` whose result is the task run's final
`State`. `result()` unwraps it (raising the run's exception on failure), `state` gives the state
so far, and ``await future`` works in async code.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from cadenza._typing import Generic, R, T, overload
from cadenza.states import Pending, sync_result

if TYPE_CHECKING:
    from collections.abc import Generator
    from typing import Literal

    from cadenza.runs import TaskRun
    from cadenza.states import State


class CadenzaFuture(Generic[R]):
    """The eventual final `State` of a task run submitted to a task runner.

    Generic in the run's return value: ``my_task.submit(1)`` is a ``CadenzaFuture[int]`` for a
    task returning ``int`` (an ``async def`` task's future holds the awaited value).
    """

    __slots__ = ("_future", "task_run")

    def __init__(self, future: cf.Future[State[R]], task_run: TaskRun | None = None) -> None:
        self._future = future
        self.task_run = task_run

    @property
    def task_run_id(self) -> str | None:
        return self.task_run.id if self.task_run is not None else None

    @property
    def task_run_name(self) -> str | None:
        return self.task_run.name if self.task_run is not None else None

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run is final, or `timeout` seconds pass."""
        cf.wait([self._future], timeout=timeout)

    def done(self) -> bool:
        return self._future.done()

    @property
    def state(self) -> State[R]:
        """The final state when done; otherwise the run's current state (Pending at first)."""
        if self._future.done():
            return self._future.result()
        current = self.task_run.state if self.task_run is not None else None
        if current is None:
            return Pending()
        return current

    @overload
    def result(self, timeout: float | None = None, raise_on_failure: Literal[True] = True) -> R: ...

    @overload
    def result(
        self, timeout: float | None = None, raise_on_failure: bool = ...
    ) -> R | BaseException: ...

    def result(
        self, timeout: float | None = None, raise_on_failure: bool = True
    ) -> R | BaseException:
        """The run's return value; raises its exception if it failed (unless told not to:
        with ``raise_on_failure=False`` the exception is returned)."""
        try:
            state = self._future.result(timeout=timeout)
        except cf.TimeoutError:
            raise TimeoutError(
                f"Task run {self.task_run_name!r} did not finish within {timeout} second(s)"
            ) from None
        return sync_result(state, raise_on_failure)

    def add_done_callback(self, fn: Callable[[CadenzaFuture[R]], object]) -> None:
        """Call ``fn(future)`` when the run is final (at once if it already is)."""
        self._future.add_done_callback(lambda _: fn(self))

    def __await__(self) -> Generator[Any, None, R]:
        import asyncio

        state = yield from asyncio.wrap_future(self._future).__await__()
        value: R = sync_result(state)
        return value

    def __repr__(self) -> str:
        return f"CadenzaFuture(task_run={self.task_run_name!r}, done={self.done()})"


class CadenzaFutureList(list[CadenzaFuture[R]]):
    """The futures of one `map` call, with list-wide `wait` and `result`."""

    def wait(self, timeout: float | None = None) -> None:
        wait(self, timeout=timeout)

    @overload
    def result(
        self, timeout: float | None = None, raise_on_failure: Literal[True] = True
    ) -> list[R]: ...

    @overload
    def result(
        self, timeout: float | None = None, raise_on_failure: bool = ...
    ) -> list[R | BaseException]: ...

    def result(
        self, timeout: float | None = None, raise_on_failure: bool = True
    ) -> list[R] | list[R | BaseException]:
        """Every result in order; waits for all first."""
        _, not_done = wait(self, timeout=timeout)
        if not_done:
            raise TimeoutError(f"{len(not_done)} of {len(self)} task runs did not finish in time")
        return [f.result(raise_on_failure=raise_on_failure) for f in self]


class DoneAndNotDoneFutures(NamedTuple):
    done: set[CadenzaFuture[Any]]
    not_done: set[CadenzaFuture[Any]]


def wait(
    futures: Iterable[CadenzaFuture[Any]], timeout: float | None = None
) -> DoneAndNotDoneFutures:
    """Wait until every future is done or `timeout` seconds pass; return (done, not_done)."""
    by_inner = {f._future: f for f in futures}
    done, not_done = cf.wait(list(by_inner), timeout=timeout)
    return DoneAndNotDoneFutures({by_inner[f] for f in done}, {by_inner[f] for f in not_done})


def as_completed(
    futures: Iterable[CadenzaFuture[T]], timeout: float | None = None
) -> Iterator[CadenzaFuture[T]]:
    """Yield futures as they finish (first finished first)."""
    by_inner = {f._future: f for f in futures}
    for inner in cf.as_completed(list(by_inner), timeout=timeout):
        yield by_inner[inner]


def resolve_wait_for(wait_for: Iterable[Any]) -> None:
    """Block until every future in `wait_for` is done (ordering without passing data)."""
    for item in wait_for:
        if hasattr(item, "wait"):
            item.wait()


def _resolve(expr: Any, leaf: Callable[[CadenzaFuture[Any]], Any]) -> Any:
    """`expr` with every future inside lists, tuples, sets and dicts (keys too) replaced by
    ``leaf(future)``; other objects are kept as they are. A list (a `CadenzaFutureList`
    included) comes back a plain list, a named tuple as its own type."""
    if isinstance(expr, CadenzaFuture):
        return leaf(expr)
    if isinstance(expr, dict):
        return type(expr)((_resolve(k, leaf), _resolve(v, leaf)) for k, v in expr.items())
    if isinstance(expr, list):
        return [_resolve(v, leaf) for v in expr]
    if isinstance(expr, tuple) and hasattr(expr, "_fields"):  # a named tuple
        return type(expr)(*(_resolve(v, leaf) for v in expr))
    if isinstance(expr, (tuple, set, frozenset)):
        return type(expr)(_resolve(v, leaf) for v in expr)
    return expr


def _final_state(future: CadenzaFuture[Any]) -> State[Any]:
    future.wait()
    return future.state


def resolve_futures_to_states(expr: Any) -> Any:
    """`expr` with each future in it (at any depth of lists, tuples, sets, dicts) replaced by
    its task run's final `State`, waiting for each."""
    return _resolve(expr, _final_state)


def resolve_futures_to_results(expr: Any) -> Any:
    """`expr` with each future in it replaced by its result (raising a failed run's error)."""
    return _resolve(expr, lambda future: future.result())


# the names Prefect users import: a task run submitted to any task runner is a CadenzaFuture
PrefectFuture = CadenzaFuture
PrefectFutureList = CadenzaFutureList
PrefectConcurrentFuture = CadenzaFuture
PrefectTaskRunFuture = CadenzaFuture

__all__ = [
    "CadenzaFuture",
    "CadenzaFutureList",
    "DoneAndNotDoneFutures",
    "PrefectConcurrentFuture",
    "PrefectFuture",
    "PrefectFutureList",
    "PrefectTaskRunFuture",
    "as_completed",
    "resolve_futures_to_results",
    "resolve_futures_to_states",
    "wait",
]
