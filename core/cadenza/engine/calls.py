"""Calling the user's function, with a deadline when `timeout_seconds` is set.

Sync: the function runs in a daemon thread (with the caller's context) and the caller waits for
at most the deadline, so a function stuck in a blocking call cannot hold the run past it. When the
deadline passes, the thread is sent a `TaskTimeoutError` asynchronously, which stops pure-Python
code at its next bytecode; code blocked inside a C call keeps its thread until the call returns,
but the run has already moved on. Async: `asyncio.wait_for`.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

from cadenza.engine.interrupts import raise_in_thread
from cadenza.exceptions import FlowRunTimeoutError, TaskRunTimeoutError, TaskTimeoutError


def timeout_error(kind: str, timeout: float) -> TaskTimeoutError:
    """The error a timed-out run raises (Prefect's class names; the message is the state's)."""
    error = FlowRunTimeoutError if kind == "Flow" else TaskRunTimeoutError
    return error(f"{kind} run exceeded timeout of {timeout:g} second(s)")


def call_with_timeout(
    fn: Callable[..., Any], args: tuple, kwargs: dict, timeout: float, kind: str
) -> Any:
    ctx = contextvars.copy_context()
    outcome: list[Any] = []
    done = threading.Event()

    def target() -> None:
        try:
            outcome.append((ctx.run(fn, *args, **kwargs), None))
        except BaseException as exc:
            outcome.append((None, exc))
        finally:
            done.set()

    thread = threading.Thread(target=target, name=f"cadenza-{kind.lower()}-call", daemon=True)
    thread.start()
    if not done.wait(timeout):
        error = timeout_error(kind, timeout)
        _interrupt(thread)
        raise error
    value, exc = outcome[0]
    if exc is not None:
        raise exc
    return value


def _interrupt(thread: threading.Thread) -> None:
    """Ask `thread` to raise TaskTimeoutError at its next bytecode (best effort)."""
    if thread.ident is not None:
        raise_in_thread(thread.ident, TaskTimeoutError, check=False)


async def acall_with_timeout(
    fn: Callable[..., Any], args: tuple, kwargs: dict, timeout: float | None, kind: str
) -> Any:
    if timeout is None:
        return await fn(*args, **kwargs)
    import asyncio

    try:
        return await asyncio.wait_for(fn(*args, **kwargs), timeout)
    except asyncio.TimeoutError:
        raise timeout_error(kind, timeout) from None


__all__ = ["acall_with_timeout", "call_with_timeout", "timeout_error"]
