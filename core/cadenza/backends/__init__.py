"""Backends: where the engine sends runs, states and logs. `get_backend()` picks the one to use."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cadenza.backends.base import Backend

_lock = threading.Lock()
_current: tuple[tuple[str | None, str | None], Backend] | None = None


def get_backend() -> Backend:
    """The process's backend for the current `CADENZA_HOME` (and `CADENZA_API_URL`: set, runs
    are recorded on that server), opened on first use."""
    global _current
    key = (os.environ.get("CADENZA_HOME"), os.environ.get("CADENZA_API_URL"))
    current = _current
    if current is not None and current[0] == key:
        return current[1]
    with _lock:
        if _current is not None and _current[0] == key:
            return _current[1]
        if _current is not None:
            _current[1].close()
        # lazily: settings load at the first run, not on `import cadenza`
        from cadenza.settings import spec

        spec.reset_cache()
        backend: Backend
        if spec.get("CADENZA_API_URL"):  # a server records the runs (docs/concepts/client.md)
            # lazily: httpx loads only when runs report to a server
            from cadenza.backends.http import HttpBackend

            backend = HttpBackend(flush_interval=spec.get("CADENZA_FLUSH_INTERVAL"))
        else:
            # lazily: only the backend in use loads
            from cadenza.backends.embedded import EmbeddedBackend
            from cadenza.store.database import default_db_path

            backend = EmbeddedBackend(
                default_db_path(), flush_interval=spec.get("CADENZA_FLUSH_INTERVAL")
            )
        _current = (key, backend)
        return backend


def current_backend() -> Backend | None:
    """The backend already open in this process, if any (never opens one)."""
    current = _current
    return current[1] if current is not None else None


def reset_backend() -> None:
    """Flush and close the current backend; the next `get_backend()` opens a new one."""
    global _current
    with _lock:
        if _current is not None:
            _current[1].close()
        _current = None


__all__ = ["current_backend", "get_backend", "reset_backend"]
