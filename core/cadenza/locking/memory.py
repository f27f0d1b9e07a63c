"""Locks on keys for the threads of one process (Prefect 3's `prefect.locking.memory`).

The methods and their meaning are Prefect's `LockManager` protocol, so a lock manager written for
Prefect (on files, on Redis) can be given to ``CachePolicy.configure(lock_manager=...)`` too.
"""

from __future__ import annotations

import threading
import time


class MemoryLockManager:
    """Locks on keys, held by named holders; a hold may expire (`hold_timeout`). The default
    lock manager of a SERIALIZABLE transaction."""

    def __init__(self) -> None:
        self._guard = threading.Condition()
        self._holders: dict[str, tuple[str, float | None]] = {}

    def _holder_of(self, key: str) -> str | None:
        held = self._holders.get(key)
        if held is None:
            return None
        if held[1] is not None and held[1] <= time.monotonic():
            del self._holders[key]  # the hold expired
            return None
        return held[0]

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        with self._guard:
            while True:
                current = self._holder_of(key)
                if current is None or current == holder:
                    expiry = None if hold_timeout is None else time.monotonic() + hold_timeout
                    self._holders[key] = (holder, expiry)
                    return True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._guard.wait(0.05 if remaining is None else min(remaining, 0.05))

    def release_lock(self, key: str, holder: str) -> None:
        with self._guard:
            if self._holder_of(key) != holder:
                raise ValueError(f"No lock held by {holder!r} on key {key!r}")
            del self._holders[key]
            self._guard.notify_all()

    def is_locked(self, key: str) -> bool:
        with self._guard:
            return self._holder_of(key) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        with self._guard:
            return self._holder_of(key) == holder

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._guard:
            while self._holder_of(key) is not None:
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                self._guard.wait(0.05)
            return True


__all__ = ["MemoryLockManager"]
