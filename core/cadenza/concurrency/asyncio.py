"""Concurrency and rate limits for asyncio code (Prefect 3's `prefect.concurrency.asyncio`).

```python
from cadenza.concurrency.asyncio import concurrency, rate_limit

async with concurrency("database", occupy=1):
    ...
await rate_limit("external-api")
```

The same limits, leases and semantics as `cadenza.concurrency.sync`. Waiting happens in a thread
of its own, so the event loop keeps running; a task cancelled while it waits gives back the
slots should they be granted after all.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from cadenza.concurrency._slots import DEFAULT_LEASE, Taken, as_names, give_back, take
from cadenza.concurrency._wakeup import Cancel
from cadenza.concurrency.errors import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)

T = TypeVar("T")


@asynccontextmanager
async def concurrency(
    names: str | list[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    lease_duration: float = DEFAULT_LEASE,
    strict: bool = False,
    holder: Any = None,
    raise_on_lease_renewal_failure: bool | None = None,
) -> AsyncGenerator[None, None]:
    """Hold `occupy` slots of each limit in `names` while the block runs; the arguments and
    errors are those of `cadenza.concurrency.sync.concurrency`."""
    if not names:
        yield
        return
    taken = await _take(
        as_names(names), occupy, timeout_seconds=timeout_seconds, max_retries=max_retries,
        lease_duration=lease_duration, strict=strict, holder=holder,
    )  # fmt: skip
    failed = True
    try:
        yield
        failed = False
    finally:
        loud = strict if raise_on_lease_renewal_failure is None else raise_on_lease_renewal_failure
        await _in_thread(partial(give_back, taken, loud and not failed))


async def rate_limit(
    names: str | list[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    strict: bool = False,
) -> None:
    """Return once `occupy` slots of each rate limit in `names` are taken (see
    `cadenza.concurrency.sync.rate_limit`)."""
    if not names:
        return
    await _take(as_names(names), occupy, mode="rate_limit", timeout_seconds=timeout_seconds,
                strict=strict)  # fmt: skip


async def _take(names: list[str], occupy: int, **options: Any) -> Taken:
    cancel = Cancel()
    return await _in_thread(partial(take, names, occupy, cancel=cancel, **options), cancel)


def _in_thread(fn: Callable[[], T], cancel: Cancel | None = None) -> asyncio.Future[T]:
    """Run `fn` in a thread of its own (a waiter must not occupy the loop's shared executor,
    where the holders' releases could queue behind it); if the awaiting task is cancelled,
    stop the wait and give back whatever `fn` still takes."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.cancelled():
            if isinstance(result, Taken):
                threading.Thread(target=give_back, args=(result,), daemon=True).start()
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        result, error = None, None
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting task
            error = exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop is closed: nobody will use the slots
            if isinstance(result, Taken):
                give_back(result)

    if cancel is not None:
        future.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)
    threading.Thread(target=run, name="cadenza-concurrency-wait", daemon=True).start()
    return future


__all__ = [
    "AcquireConcurrencySlotTimeoutError",
    "ConcurrencySlotAcquisitionError",
    "concurrency",
    "rate_limit",
]
