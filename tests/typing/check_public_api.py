"""What a type checker, and so an editor, tells a user of cadenza's decorators.

Checked by mypy (``make typecheck``, and `test_public_api_types.py` in the test suite), never
run: each ``assert_type`` fails the check if the type shown to a user changes. Misuse that
must be reported is in ``check_misuse.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from typing_extensions import assert_type

from cadenza import Flow, State, Task, flow, task, unmapped
from cadenza.futures import (
    CadenzaFuture,
    CadenzaFutureList,
    PrefectFuture,
    PrefectFutureList,
    as_completed,
    wait,
)
from cadenza.runs import TaskRun


@task
def add(x: int, y: int = 1) -> int:
    return x + y


@task(retries=2, retry_delay_seconds=[1, 5], name="fetch", tags=["io"])
async def fetch(url: str) -> bytes:
    return url.encode()


@flow
def pipeline(n: int) -> list[int]:
    return [add(i) for i in range(n)]


@flow(name="async-pipeline", log_prints=True)
async def async_pipeline(n: int) -> str:
    return str(n)


def calling_a_task_gives_its_return_type() -> None:
    assert_type(add(1), int)
    assert_type(add(1, y=2), int)
    assert_type(add.fn(1), int)  # the undecorated function
    assert_type(add(1, return_state=True), State[int])
    assert_type(add(1, return_state=True).result(), int)
    assert_type(add(1, return_state=True).result(raise_on_failure=False), int | BaseException)
    assert_type(add(1, wait_for=[add.submit(0)]), int)


def submit_gives_a_future_and_map_a_list_of_them() -> None:
    future = add.submit(1)
    assert_type(future, CadenzaFuture[int])
    assert_type(future.result(), int)
    assert_type(future.result(timeout=5), int)
    assert_type(future.state, State[int])
    assert_type(add.submit(future, y=future), CadenzaFuture[int])  # futures stand for values
    assert_type(add.submit(1, return_state=True), State[int])

    futures = add.map([1, 2, 3], y=unmapped(10))
    assert_type(futures, CadenzaFutureList[int])
    assert_type(futures[0], CadenzaFuture[int])
    assert_type(futures.result(), list[int])
    assert_type(add.map(range(3), return_state=True), list[State[int]])
    for done in as_completed(futures):
        assert_type(done, CadenzaFuture[int])
    assert_type(wait(futures).done, set[CadenzaFuture[Any]])

    # Prefect's names for the same classes
    prefect_future: PrefectFuture[int] = add.submit(1)
    prefect_futures: PrefectFutureList[int] = add.map([1])
    assert_type(prefect_future.result(), int)
    assert_type(prefect_futures.result(), list[int])


async def async_tasks_give_coroutines_and_futures_of_the_awaited_value() -> None:
    call = fetch("https://example.com")
    assert_type(await assert_type(call, Coroutine[Any, Any, bytes]), bytes)
    state_call = fetch("https://example.com", return_state=True)
    assert_type(await assert_type(state_call, Coroutine[Any, Any, State[bytes]]), State[bytes])
    assert_type(await fetch.fn("https://example.com"), bytes)
    future = fetch.submit("https://example.com")
    assert_type(future, CadenzaFuture[bytes])
    assert_type(future.result(), bytes)
    assert_type(await future, bytes)
    assert_type(fetch.map(["a", "b"]).result(), list[bytes])


async def flows_give_their_return_type() -> None:
    assert_type(pipeline(3), list[int])
    assert_type(pipeline.fn(3), list[int])
    assert_type(pipeline(3, return_state=True), State[list[int]])
    call = async_pipeline(3)
    assert_type(await assert_type(call, Coroutine[Any, Any, str]), str)
    state_call = async_pipeline(3, return_state=True)
    assert_type(await assert_type(state_call, Coroutine[Any, Any, State[str]]), State[str])


def options_keep_the_type() -> None:
    assert_type(add.with_options(retries=3, name="add-again")(1), int)
    assert_type(fetch.with_options(timeout_seconds=30).submit("u"), CadenzaFuture[bytes])
    assert_type(pipeline.with_options(retries=1, flow_run_name="p-{n}")(2), list[int])
    as_task: Task[..., int] = add.with_options(tags=["math"])
    as_flow: Flow[..., list[int]] = pipeline
    assert_type(as_task.submit(1), CadenzaFuture[int])
    assert_type(as_flow(1), list[int])


def state_hooks_are_typed_callables() -> None:
    def notify(task: Task[..., Any], run: TaskRun, state: State[Any]) -> None:
        print(task.name, run.id, state.name)

    hook: Callable[[Task[..., Any], TaskRun, State[Any]], None] = add.on_failure(notify)
    assert hook is notify  # the decorator gives the hook back
    assert_type(add.with_options(on_completion=[notify])(1), int)
    assert_type(task(on_running=notify)(add.fn)(1), int)
