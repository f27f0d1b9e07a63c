"""Prefect's ``prefect.utilities.asyncutils`` helpers that user code imports.

`sync_compatible` and `run_coro_as_sync` are cadenza's dispatch (`cadenza._dispatch`), the same
mechanism behind `Variable.get`, `Block.load` and the artifact functions."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from cadenza._dispatch import in_async_context, run_coro_as_sync, sync_compatible

P = ParamSpec("P")
R = TypeVar("R")


def is_async_fn(func: Any) -> bool:
    """True when calling ``func`` returns a coroutine (functions, methods, partials of them)."""
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(inspect.unwrap(func))


async def run_sync_in_worker_thread(__fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run the sync function ``__fn`` in a worker thread, with the caller's context."""
    return await asyncio.to_thread(__fn, *args, **kwargs)


def sync(__async_fn: Callable[P, Coroutine[Any, Any, R]], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call an async function from sync code and return its result."""
    return run_coro_as_sync(__async_fn(*args, **kwargs))  # type: ignore[return-value]


__all__ = [
    "in_async_context",
    "is_async_fn",
    "run_coro_as_sync",
    "run_sync_in_worker_thread",
    "sync",
    "sync_compatible",
]
