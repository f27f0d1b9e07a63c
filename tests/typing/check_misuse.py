"""Misuse a type checker must report, each line marked with the error code it must get.

Run by `test_public_api_types.py`: mypy must report exactly the marked errors, on the marked
lines (``# error: [code]``), and nothing else. Never run.
"""

from __future__ import annotations

from cadenza import flow, task


@task
def add(x: int, y: int = 1) -> int:
    return x + y


@task
async def fetch(url: str) -> bytes:
    return url.encode()


@flow
def pipeline(n: int) -> list[int]:
    return [n]


def wrong_arguments() -> None:
    add("one")  # error: [call-overload]
    add(1, 2, 3)  # error: [call-overload]
    add(1, z=2)  # error: [call-overload]
    pipeline("3")  # error: [call-overload]
    pipeline(3, return_state="yes")  # error: [call-overload]


def wrong_use_of_results() -> None:
    total: str = add(1)  # error: [assignment]
    value: str = add.submit(1).result()  # error: [assignment]
    values: list[str] = add.map([1, 2]).result()  # error: [assignment]
    state_value: str = add(1, return_state=True).result()  # error: [assignment]
    rows: list[str] = pipeline(3)  # error: [assignment]


async def an_async_task_is_awaited() -> None:
    data: bytes = fetch("u")  # error: [assignment]
    text: str = await fetch("u")  # error: [assignment]


def wrong_options() -> None:
    task(retries="3")  # error: [call-overload]
    add.with_options(retries="3")  # error: [arg-type]
    add.with_options(retry=3)  # error: [call-arg]
    pipeline.with_options(task_runner="threads")  # error: [arg-type]
    flow(timeout_seconds="60")  # error: [call-overload]
