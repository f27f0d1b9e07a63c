"""Where this process's limits live: the server (``CADENZA_API_URL``) or the embedded record.

`slots_api()` returns one object with the same methods either way — `RemoteSlots` or
`EmbeddedSlots` — kept for the process (one per server URL or record file, never shared across a
fork), so the Python API, the task engine's tag limits and the CLI are written once.
Importing this module imports neither httpx nor SQLAlchemy.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Protocol

from cadenza.settings import spec
from cadenza.store.database import default_db_path


class SlotsApi(Protocol):
    def acquire(
        self, names: list[str], slots: int, *, mode: str, lease_seconds: float,
        holder: dict[str, Any], deadline: float | None, max_retries: int | None,
        cancel: Any = None,
    ) -> dict[str, Any]: ...  # fmt: skip
    def renew(self, lease_id: str, lease_seconds: float) -> bool: ...
    def release(self, lease_id: str) -> None: ...
    def create(self, name: str, limit: int, active: bool = True,
               slot_decay_per_second: float = 0.0) -> dict[str, Any]: ...  # fmt: skip
    def list_limits(self, prefix: str | None = None) -> list[dict[str, Any]]: ...
    def read(self, name: str) -> dict[str, Any]: ...
    def update(self, name: str, **changes: Any) -> dict[str, Any]: ...
    def delete(self, name: str) -> dict[str, Any]: ...
    def reset(self, name: str) -> dict[str, Any]: ...
    def limited_tags(self) -> list[str]: ...
    def close(self) -> None: ...


_apis: dict[tuple[int, str], SlotsApi] = {}
_lock = threading.Lock()


def slots_api() -> SlotsApi:
    """The limits of the record this process reports to (see the module docstring)."""
    url = spec.get("CADENZA_API_URL")
    where = f"server:{url}" if url else f"record:{default_db_path()}"
    key = (os.getpid(), where)
    api = _apis.get(key)
    if api is not None:
        return api
    with _lock:
        api = _apis.get(key)
        if api is None:
            if url:
                # lazily: httpx loads only when a server is configured and a limit is used
                from cadenza.concurrency._remote import RemoteSlots

                api = RemoteSlots()
            else:
                # lazily: SQLAlchemy loads only when a limit of the embedded record is used
                from cadenza.concurrency._embedded import EmbeddedSlots

                api = EmbeddedSlots(default_db_path())
            _apis[key] = api
    return api


def reset_slots_apis() -> None:
    """Close and forget every API object of this process (tests; after moving CADENZA_HOME)."""
    with _lock:
        for (pid, _where), api in _apis.items():
            if pid == os.getpid():
                api.close()
        _apis.clear()


__all__ = ["SlotsApi", "reset_slots_apis", "slots_api"]
