"""Concurrency and rate limits for synchronous code (Prefect 3's `prefect.concurrency.sync`).

```python
from cadenza.concurrency.sync import concurrency, rate_limit

with concurrency("database", occupy=1):
    ...  # at most as many blocks as the limit allows, across every process
rate_limit("external-api")  # returns once a slot of the rate limit is free
```

The limits live in the record this process reports to: the server (``CADENZA_API_URL``) or the
embedded record. Create them first (``cadenza concurrency-limit create NAME --limit N``).
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from cadenza.concurrency._slots import DEFAULT_LEASE, as_names, give_back, take
from cadenza.concurrency.errors import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)


@contextmanager
def concurrency(
    names: str | list[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    lease_duration: float = DEFAULT_LEASE,
    strict: bool = False,
    holder: Any = None,
    raise_on_lease_renewal_failure: bool | None = None,
) -> Generator[None, None, None]:
    """Hold `occupy` slots of each limit in `names` while the block runs.

    Waits until every limit has room (woken when a slot frees, not polling). The slots are a
    lease that a background thread renews while the block runs; they are released when it
    ends, and free themselves `lease_duration` seconds after a process that dies stopped
    renewing them.

    Args:
        names: the name of one limit, or several (all are acquired, or none).
        occupy: slots to take of each limit.
        timeout_seconds: give up after this long (`AcquireConcurrencySlotTimeoutError`);
            None waits as long as it takes.
        max_retries: give up after waiting for a free slot this many times
            (`ConcurrencySlotAcquisitionError`); None: no bound.
        lease_duration: seconds the slots stay held if this process stops renewing them. Not
            given (the signature shows Prefect's default, 300):
            `CADENZA_CONCURRENCY_LEASE_SECONDS` (30 by default), since a live holder renews
            the lease all along and a dead one's slots should free soon.
        strict: raise `ConcurrencySlotAcquisitionError` when a limit does not exist, instead
            of running the block without it (and logging a warning).
        holder: who holds the slots, shown by ``cadenza concurrency-limit inspect``: a
            Prefect ``ConcurrencyLeaseHolder`` or a dict such as ``{"type": "task_run",
            "id": ...}``. The process and the current run are recorded in any case.
        raise_on_lease_renewal_failure: raise `ConcurrencySlotAcquisitionError` when the block
            ends if the lease was lost while it ran (the record reset it, or it expired while
            the process could not renew it); None follows `strict`. The loss is logged either
            way.

    Raises:
        AcquireConcurrencySlotTimeoutError: the slots were not acquired in `timeout_seconds`.
        ConcurrencySlotAcquisitionError: a strict acquisition of a missing limit, more slots
            than a limit allows, a bad name, `max_retries` spent, or the record unreachable.
    """
    if not names:
        yield
        return
    taken = take(
        as_names(names), occupy, timeout_seconds=timeout_seconds, max_retries=max_retries,
        lease_duration=lease_duration, strict=strict, holder=holder,
    )  # fmt: skip
    failed = True
    try:
        yield
        failed = False
    finally:
        loud = strict if raise_on_lease_renewal_failure is None else raise_on_lease_renewal_failure
        give_back(taken, loud and not failed)


def rate_limit(
    names: str | list[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    strict: bool = False,
) -> None:
    """Return once `occupy` slots of each rate limit in `names` are taken.

    A rate limit is a limit with ``slot_decay_per_second`` > 0: its slots are not released but
    free themselves at that rate, so calls go through at most that many times a second on
    average (a burst of up to the limit first). Raises as `concurrency` does; also
    `ConcurrencySlotAcquisitionError` when a limit has no slot decay. Create limits with
    ``cadenza concurrency-limit create`` (Prefect 3.9's signature has no `create_if_missing`).
    """
    if not names:
        return
    take(as_names(names), occupy, mode="rate_limit", timeout_seconds=timeout_seconds,
         strict=strict)  # fmt: skip


__all__ = [
    "AcquireConcurrencySlotTimeoutError",
    "ConcurrencySlotAcquisitionError",
    "concurrency",
    "rate_limit",
]
