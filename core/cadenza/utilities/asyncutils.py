"""Prefect's ``prefect.utilities.asyncutils`` helpers that user code imports.

`sync_compatible` decides sync or async as cadenza's dual functions do (`Variable.get`,
`Block.load`, the artifact functions): by the run in progress, else by a running event loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, cast

from cadenza._dispatch import in_async_context

P = ParamSpec("P")
R = TypeVar("R")


def run_coro_as_sync(
    coroutine: Coroutine[Any, Any, R], *, force_new_thread: bool = False,
    wait_for_result: bool = True,
) -> R | None:  # fmt: skip
    """Run ``coroutine`` to its end and return its result, from sync code (Prefect's
    ``run_coro_as_sync``). With no event loop running in this thread it runs on a new loop
    here; otherwise (or with ``force_new_thread``) on a new loop in a thread of its own, so a
    sync function called from async code can still wait for it. ``wait_for_result=False``
    starts it and returns None at once."""
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not (in_loop or force_new_thread or not wait_for_result):
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            box["value"] = context.run(asyncio.run, coroutine)
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=run, name="cadenza-run-coro", daemon=True)
    worker.start()
    if not wait_for_result:
        return None
    worker.join()
    if "error" in box:
        raise box["error"]
    return cast(R, box["value"])


def sync_compatible(async_fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Any]:
    """Prefect's ``sync_compatible``: an ``async def`` function that, called from sync code,
    runs to its result (`run_coro_as_sync`); from async code it returns the coroutine. Takes
    ``_sync`` as `dual` does; ``.aio`` is the async function itself."""

    @functools.wraps(async_fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        force = kwargs.pop("_sync", None)
        run_sync = bool(force) if force is not None else not in_async_context()
        coroutine = async_fn(*args, **kwargs)
        return run_coro_as_sync(coroutine) if run_sync else coroutine

    wrapper.__dict__["aio"] = async_fn
    return wrapper


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
    return cast(R, run_coro_as_sync(__async_fn(*args, **kwargs)))


__all__ = [
    "is_async_fn",
    "run_coro_as_sync",
    "run_sync_in_worker_thread",
    "sync",
    "sync_compatible",
]
