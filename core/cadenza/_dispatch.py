"""Dual functions: one call that returns a value from sync code and an awaitable from async code.

Prefect 3's `Variable.get`, `Block.load`, `create_markdown_artifact`, `run_deployment` and
others are written once and "dispatched": ``await Variable.get("x")`` works inside an ``async
def`` flow, task or coroutine, and ``Variable.get("x")`` works in sync code. `dual` gives a
synchronous implementation that behaviour::

    @dual
    def get(name: str) -> int: ...

    get("x")                 # a value in sync code
    await get("x")           # in async code the call returns a coroutine
    get("x", _sync=True)     # force either side
    await get.aio("x")       # the async form, always (what ``aget`` names are bound to)

Whether the caller is async is decided as Prefect decides it: inside a task run, by whether the
task is async; inside a flow run (outside any task), by whether the flow is async; outside any
run, by whether an event loop is running in this thread. The async form runs the sync body in a
worker thread (it reads files or a server), with the caller's context, unless ``thread=False``
says the body never blocks.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, cast, overload

from cadenza.context import _flow_run_ctx, _task_run_ctx

P = ParamSpec("P")
R = TypeVar("R")


def in_async_context() -> bool:
    """True when the caller is async code: an async task or flow run, or, outside any run, a
    running event loop in this thread."""
    task_ctx = _task_run_ctx.get()
    if task_ctx is not None:
        return bool(getattr(task_ctx.task, "isasync", False))
    flow_ctx = _flow_run_ctx.get()
    if flow_ctx is not None:
        return bool(getattr(flow_ctx.flow, "isasync", False))
    asyncio = sys.modules.get("asyncio")  # not imported: no loop can be running
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@overload
def dual(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def dual(*, thread: bool = True) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def dual(fn: Callable[P, R] | None = None, /, *, thread: bool = True) -> Any:
    """Make the sync function ``fn`` dispatch on its caller (see the module docstring).

    The wrapper pops a ``_sync`` keyword (True/False force a side) and carries the async form
    as ``.aio`` (`async_form`). ``thread=False``: the async form calls ``fn`` inline (it never
    blocks). Type checkers see ``fn``'s own signature: the sync call, the common one."""
    if fn is None:
        return functools.partial(dual, thread=thread)
    body = fn

    async def aio(*args: Any, **kwargs: Any) -> Any:
        if not thread:
            return body(*args, **kwargs)
        # lazily: asyncio is loaded by whoever awaits this
        import asyncio

        return await asyncio.to_thread(body, *args, **kwargs)  # copies the context

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        force = kwargs.pop("_sync", None)
        run_sync = bool(force) if force is not None else not in_async_context()
        return body(*args, **kwargs) if run_sync else aio(*args, **kwargs)

    functools.update_wrapper(aio, fn)
    aio.__name__ = aio.__qualname__ = f"a{fn.__name__}"
    aio.__doc__ = f"The async form of `{fn.__qualname__}`: ``await`` it for the same answer."
    wrapper.aio = aio  # type: ignore[attr-defined]
    return wrapper


def async_form(method: Any) -> Any:
    """The async form of a `dual` function, or of a classmethod wrapping one, ready to be
    bound in a class body (``aget = async_form(get)``)."""
    if isinstance(method, classmethod):
        return classmethod(method.__func__.aio)
    return method.aio


def run_coro_as_sync(
    coroutine: Coroutine[Any, Any, R], *, force_new_thread: bool = False,
    wait_for_result: bool = True,
) -> R | None:  # fmt: skip
    """Run ``coroutine`` to its end and return its result, from sync code (Prefect's
    ``run_coro_as_sync``). With no event loop running in this thread it runs on a new loop
    here; otherwise (or with ``force_new_thread``) on a new loop in a thread of its own, so a
    sync function called from async code can still wait for it. ``wait_for_result=False``
    starts it and returns None at once."""
    # lazily: asyncio is for async callers
    import asyncio
    import contextvars
    import threading

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


def sync_compatible(async_fn: Callable[P, Awaitable[R]]) -> Callable[P, Any]:
    """Prefect's ``sync_compatible``: an ``async def`` function that, called from sync code,
    runs to its result (`run_coro_as_sync`); from async code it returns the coroutine. Takes
    ``_sync`` as `dual` does; ``.aio`` is the async function itself."""

    @functools.wraps(async_fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        force = kwargs.pop("_sync", None)
        run_sync = bool(force) if force is not None else not in_async_context()
        coroutine = async_fn(*args, **kwargs)
        return run_coro_as_sync(coroutine) if run_sync else coroutine  # type: ignore[arg-type]

    wrapper.aio = async_fn  # type: ignore[attr-defined]
    return wrapper


__all__ = ["async_form", "dual", "in_async_context", "run_coro_as_sync", "sync_compatible"]
