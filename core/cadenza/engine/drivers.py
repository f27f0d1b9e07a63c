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
from cadenza.engine.lifecycle import CALL
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
            else:
                await asyncio.sleep(request[1])
                request = send(None)
    except StopIteration as stop:
        return stop.value
