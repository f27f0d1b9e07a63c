"""Keeping held leases alive: one background thread per process renews every lease it holds.

A lease is renewed every third of its duration, so two renewals can fail (a server restarting,
a record locked for a moment) before it expires. A renewal the record refuses (the lease was
reset, deleted with its limit, or expired while this process was stalled) means the slots are
no longer held: the lease is marked `lost` and its error logged. A process that dies stops
renewing, and its slots free themselves when its leases expire.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("cadenza.concurrency")

RETRY_SECONDS = 1.0
"""How soon a renewal that failed to reach the record is tried again."""


@dataclass(eq=False)
class Held:
    """A lease this process holds: renewed by the keeper until `LeaseKeeper.drop`."""

    api: Any
    lease_id: str
    lease_seconds: float
    expires: float  # monotonic: when the record lets it go unless renewed
    due: float = field(default=0.0)  # monotonic: the next renewal
    lost: str | None = None  # why it is no longer held


class LeaseKeeper:
    """The renewal thread of this process (see the module docstring)."""

    def __init__(self) -> None:
        self._held: dict[str, Held] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def hold(self, api: Any, lease_id: str, lease_seconds: float) -> Held:
        now = time.monotonic()
        held = Held(api, lease_id, lease_seconds, now + lease_seconds, now + lease_seconds / 3)
        with self._wake:
            self._held[lease_id] = held
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="cadenza-concurrency-leases", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        return held

    def drop(self, held: Held) -> None:
        with self._wake:
            self._held.pop(held.lease_id, None)

    def _run(self) -> None:
        while True:
            with self._wake:
                due = [h for h in self._held.values() if h.due <= time.monotonic()]
                if not due:
                    soonest = min((h.due for h in self._held.values()), default=None)
                    timeout = None if soonest is None else max(0.0, soonest - time.monotonic())
                    self._wake.wait(timeout)
                    continue
            for held in due:
                self._renew(held)

    def _renew(self, held: Held) -> None:
        started = time.monotonic()
        try:
            renewed = held.api.renew(held.lease_id, held.lease_seconds)
        except Exception as exc:  # the record is unreachable: try again soon, while it holds
            if time.monotonic() >= held.expires:
                self._lose(held, f"it could not be renewed before it expired ({exc})")
            else:
                held.due = time.monotonic() + min(RETRY_SECONDS, held.lease_seconds / 3)
            return
        if not renewed:
            self._lose(held, "the record no longer has it (expired, reset or deleted)")
            return
        held.expires = started + held.lease_seconds
        held.due = started + held.lease_seconds / 3

    def _lose(self, held: Held, why: str) -> None:
        held.lost = why
        self.drop(held)
        logger.error(
            "Concurrency lease %s lost: %s. Its slots are no longer reserved, so the limit "
            "may be exceeded while this block runs.",
            held.lease_id,
            why,
        )


_keeper: LeaseKeeper | None = None
_keeper_lock = threading.Lock()


def keeper() -> LeaseKeeper:
    """This process's keeper (a new one after a fork: threads do not survive it)."""
    global _keeper
    with _keeper_lock:
        if _keeper is None or _keeper._pid != os.getpid():
            _keeper = LeaseKeeper()
        return _keeper


__all__ = ["Held", "LeaseKeeper", "keeper"]
