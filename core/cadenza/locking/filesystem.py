"""Locks on keys as files in a shared directory (Prefect 3's `prefect.locking.filesystem`).

A lock is a file ``<digest of the key>.lock`` created with ``O_EXCL``, holding its holder and
expiry, so processes on one machine (or sharing the directory) run a key's work one at a time.
An expired hold is taken over; a holder that dies without releasing holds the key until then
(give ``hold_timeout``), or until its file is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

_POLL = 0.05  # seconds between looks at a held lock


class FileSystemLockManager:
    """Locks kept as files under `lock_files_directory` (created on first use)."""

    def __init__(self, lock_files_directory: str | os.PathLike[str]) -> None:
        self.lock_files_directory = Path(lock_files_directory).expanduser().resolve()

    def _path(self, key: str) -> Path:
        return self.lock_files_directory / f"{hashlib.sha256(key.encode()).hexdigest()}.lock"

    def _held(self, path: Path) -> tuple[str, float | None] | None:
        """(holder, expiry) of the lock at `path`; None when free or expired (then removed)."""
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except ValueError:  # being written this instant: held
            return ("", None)
        expiry = doc.get("expiration")
        if expiry is not None and expiry <= time.time():
            path.unlink(missing_ok=True)
            return None
        return str(doc.get("holder")), expiry

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        """Take the lock of `key` for `holder`, waiting at most `acquire_timeout` seconds
        (forever when None); it expires after `hold_timeout` seconds when given."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        expiry = None if hold_timeout is None else time.time() + hold_timeout
        payload = json.dumps({"holder": holder, "key": key, "expiration": expiry}).encode()
        while True:
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                held = self._held(path)
                if held is not None and held[0] == holder:
                    path.write_bytes(payload)  # held already: renew
                    return True
                if held is None:
                    continue  # it was free or expired: try again at once
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                time.sleep(_POLL)
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            return True

    def release_lock(self, key: str, holder: str) -> None:
        path = self._path(key)
        held = self._held(path)
        if held is None or held[0] != holder:
            raise ValueError(f"No lock held by {holder!r} on key {key!r}")
        path.unlink(missing_ok=True)

    def is_locked(self, key: str) -> bool:
        return self._held(self._path(key)) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        held = self._held(self._path(key))
        return held is not None and held[0] == holder

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        """Wait until `key` is free; False when `timeout` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_locked(key):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)
        return True


__all__ = ["FileSystemLockManager"]
