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
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

from cadenza.context import in_async_context

P = ParamSpec("P")
R = TypeVar("R")


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
    wrapper.__dict__["aio"] = aio
    return wrapper


def async_form(method: Any) -> Any:
    """The async form of a `dual` function, or of a classmethod wrapping one, ready to be
    bound in a class body (``aget = async_form(get)``)."""
    if isinstance(method, classmethod):
        inner: Any = method.__func__  # a `dual` wrapper, which carries ``aio``
        return classmethod(inner.aio)
    return method.aio


__all__ = ["async_form", "dual", "in_async_context"]
