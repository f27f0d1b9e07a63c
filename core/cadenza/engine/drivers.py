"""Drivers: run a lifecycle generator, synchronously or on an event loop.

A lifecycle (see `lifecycle.py`) yields `CALL` when the user's function must be called and
`(SLEEP, seconds)` when it must wait; it returns the final `State`. These two drivers are the only
places where sync and async runs differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any

from cadenza.engine.calls import acall_with_timeout, call_with_timeout
from cadenza.engine.lifecycle import AWAIT, CALL
from cadenza.states import State

Lifecycle = Generator[Any, Any, State]


def drive_sync(
    gen: Lifecycle,
    fn: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    timeout: float | None,
    kind: str,
) -> State:
    send = gen.send
    try:
        request = next(gen)
        while True:
            if request is CALL:
                try:
                    if timeout is None:
                        reply = (fn(*args, **kwargs), None)
                    else:
                        reply = (call_with_timeout(fn, args, kwargs, timeout, kind), None)
                except BaseException as exc:
                    reply = (None, exc)
                request = send(reply)
            elif request[0] is AWAIT:
                request = send(_outcome(run_coroutine_sync, request[1]))
            else:
                time.sleep(request[1])
                request = send(None)
    except StopIteration as stop:
        return stop.value


async def drive_async(
    gen: Lifecycle,
    fn: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    timeout: float | None,
    kind: str,
) -> State:
    import asyncio

    send = gen.send
    try:
        request = next(gen)
        while True:
            if request is CALL:
                try:
                    reply = (await acall_with_timeout(fn, args, kwargs, timeout, kind), None)
                except BaseException as exc:
                    reply = (None, exc)
                request = send(reply)
            elif request[0] is AWAIT:
                try:
                    reply = (await request[1], None)
                except Exception as exc:
                    reply = (None, exc)
                request = send(reply)
            else:
                await asyncio.sleep(request[1])
                request = send(None)
    except StopIteration as stop:
        return stop.value


def _outcome(fn: Callable[..., Any], *args: Any) -> tuple[Any, BaseException | None]:
    try:
        return fn(*args), None
    except Exception as exc:
        return None, exc


def run_coroutine_sync(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even on a thread whose loop is running."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="cadenza-hook") as pool:
        return pool.submit(asyncio.run, coro).result()


__all__ = ["Lifecycle", "drive_async", "drive_sync", "run_coroutine_sync"]
