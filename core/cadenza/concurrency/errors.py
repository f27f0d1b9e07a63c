"""The errors of acquiring slots, under Prefect 3's names (`cadenza.concurrency.asyncio` and
`cadenza.concurrency.sync` export them too, as Prefect's `prefect.concurrency.asyncio` does)."""

from __future__ import annotations


class ConcurrencySlotAcquisitionError(Exception):
    """Slots could not be acquired: a `strict` acquisition of a limit that does not exist, a
    request the record refuses (more slots than the limit, a bad name, `rate_limit` on a limit
    without slot decay), `max_retries` spent, or a record that cannot be reached."""


class AcquireConcurrencySlotTimeoutError(TimeoutError):
    """Slots were not acquired within `timeout_seconds`."""


__all__ = ["AcquireConcurrencySlotTimeoutError", "ConcurrencySlotAcquisitionError"]
