"""Limits and leases on the embedded record, shared by every process that uses the same file.

Each call is one transaction of `cadenza.store.sql.SqlDatabase` (``BEGIN IMMEDIATE``: writers
take turns) around a function of `cadenza.store.concurrency`, the very ones the server's routes
call. A waiter sleeps on its wake-up socket (`cadenza.concurrency._wakeup`) between attempts;
whatever frees slots here — a release, a reset, a delete, a raised limit — wakes the waiters of
those limits after its transaction commits. Importing this module imports SQLAlchemy.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cadenza.concurrency._wakeup import RECHECK_SECONDS, Cancel, Waiter, root_for, wake
from cadenza.concurrency.errors import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)
from cadenza.store import concurrency as store
from cadenza.store.sql import DatabaseBusy, SqlDatabase
from cadenza.store.urls import prepare

_BUSY_PAUSE = 0.05  # seconds before trying again when the record stayed locked
_PAST_EXPIRY = 0.002  # wake this long after a lease's expiry, so that it has surely passed


class EmbeddedSlots:
    """The limits of the embedded record at `path` (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        url = f"sqlite:///{path}"
        prepare(url)
        self.db = SqlDatabase(url)
        self.root = root_for(path)

    def close(self) -> None:
        self.db.close()

    # -- leases ---------------------------------------------------------------------------------
    def acquire(
        self, names: list[str], slots: int, *, mode: str, lease_seconds: float,
        holder: dict[str, Any], deadline: float | None, max_retries: int | None,
        cancel: Cancel | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Take the slots, waiting as long as `deadline` (monotonic) and `max_retries` allow.
        The answer: ``{"lease_id", "limits", "missing", "expires"}``."""

        def attempt(look_first: bool = False) -> store.Outcome:
            while True:
                try:
                    if look_first:  # a waiter after a timeout would mostly fail: read first
                        with self.db.read() as conn:
                            seen = store.peek(conn, names, slots, mode=mode)
                        if seen.blocked:
                            return seen
                    with self.db.write() as conn:
                        return store.acquire(
                            conn, "sqlite", names, slots, mode=mode,
                            lease_seconds=lease_seconds, holder=holder,
                        )  # fmt: skip
                except DatabaseBusy:
                    _expired(deadline)
                    time.sleep(_BUSY_PAUSE)

        outcome = attempt()
        if outcome.granted:
            return outcome.answer()
        waiter = Waiter(self.root, [limit["name"] for limit in outcome.limits])
        if cancel is not None:
            cancel.waiter = waiter
        retries, woken = 0, True
        try:
            while True:
                # again once queued (a release in between would be missed), then after each wait
                outcome = attempt(look_first=not woken)
                if outcome.granted:
                    return outcome.answer()
                if cancel is not None and cancel.event.is_set():
                    raise ConcurrencySlotAcquisitionError("the acquisition was cancelled")
                _expired(deadline)
                if max_retries is not None and retries >= max_retries:
                    raise ConcurrencySlotAcquisitionError(
                        f"no free slots in {outcome.blocked!r} after {retries} retries"
                    )
                pause = RECHECK_SECONDS
                if outcome.retry_at is not None:
                    pause = min(pause, outcome.retry_at - time.time() + _PAST_EXPIRY)
                if deadline is not None:
                    pause = min(pause, deadline - time.monotonic())
                woken = bool(waiter.wait(pause))  # a wake-up: a slot was freed, try at once
                retries += 1
        finally:
            if cancel is not None:
                cancel.waiter = None
            waiter.close()

    def renew(self, lease_id: str, lease_seconds: float) -> bool:
        with self.db.write() as conn:
            return store.renew(conn, "sqlite", lease_id, lease_seconds) is not None

    def release(self, lease_id: str) -> None:
        with self.db.write() as conn:
            freed = store.release(conn, "sqlite", lease_id)
        for name, slots in freed:
            wake(self.root, name, slots)

    # -- limits ---------------------------------------------------------------------------------
    def create(self, name: str, limit: int, active: bool = True,
               slot_decay_per_second: float = 0.0) -> dict[str, Any]:  # fmt: skip
        with self.db.write() as conn:
            return store.create_limit(conn, name, limit, active, slot_decay_per_second)

    def list_limits(self, prefix: str | None = None) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return store.list_limits(conn, prefix, limit=10_000)

    def read(self, name: str) -> dict[str, Any]:
        with self.db.read() as conn:
            return store.read_limit(conn, name)

    def update(self, name: str, **changes: Any) -> dict[str, Any]:
        with self.db.write() as conn:
            limit = store.update_limit(conn, name, **changes)
        wake(self.root, name)  # a raised limit or one switched off lets waiters in
        return limit

    def delete(self, name: str) -> dict[str, Any]:
        with self.db.write() as conn:
            limit = store.delete_limit(conn, name)
        wake(self.root, name)
        return limit

    def reset(self, name: str) -> dict[str, Any]:
        with self.db.write() as conn:
            limit = store.reset_limit(conn, name)
        wake(self.root, name)
        return limit

    def limited_tags(self) -> list[str]:
        with self.db.read() as conn:
            return store.limited_tags(conn)


def _expired(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise AcquireConcurrencySlotTimeoutError("timed out")


__all__ = ["EmbeddedSlots"]
