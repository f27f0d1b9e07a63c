"""Where a transaction's record lives, and the locks that make a key's work happen once.

A record says "the work of this key is done, and here is its result": a result reference
(`cadenza.results.refs`) and an expiration. Two stores hold them:

- `RunRecordStore` (the default): the run record's cache entries, the same ones a cached task
  writes, so a committed transaction's key is a cache hit and a cached task's key a committed
  transaction;
- `StorageRecordStore`: small JSON files in a storage block or directory, for a cache policy's
  ``key_storage`` or a ``transaction(store=...)`` given one.

The result itself is written to result storage as any persisted result is (serialized, signed).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

from cadenza._options import flow_result_options
from cadenza.backends import get_backend
from cadenza.context import FlowRunContext
from cadenza.results import ResultRef, load_result, resolve_storage
from cadenza.results.envelope import seal
from cadenza.results.signing import signing_key
from cadenza.serializers import get_serializer, serializer_name
from cadenza.storage import describe


class TransactionRecord:
    """A committed record: its key, result reference and expiration; `.result` reads the value
    (Prefect's `ResultRecord.result`)."""

    def __init__(self, key: str, result_ref: str, expiration: float | None = None) -> None:
        self.key = key
        self.result_ref = result_ref
        self.expiration = expiration

    @property
    def result(self) -> Any:
        return load_result(self.result_ref)

    def __repr__(self) -> str:
        return f"TransactionRecord(key={self.key!r})"


class StagedResult:
    """What a task run stages in its transaction: its result, already persisted, to be recorded
    under the transaction's key at commit."""

    __slots__ = ("expiration", "result_ref", "run_id", "task_key", "value")

    def __init__(
        self, value: Any, result_ref: str, task_key: str, run_id: str, expiration: float | None
    ) -> None:
        self.value = value
        self.result_ref = result_ref
        self.task_key = task_key
        self.run_id = run_id
        self.expiration = expiration


class RecordStore:
    """The records of committed keys, and the lock manager that serializes work on one key."""

    def __init__(self, lock_manager: Any = None) -> None:
        self.lock_manager = lock_manager if lock_manager is not None else default_locks

    def read_entry(self, key: str) -> tuple[str, float | None] | None:
        raise NotImplementedError

    def write_entry(
        self, key: str, result_ref: str, task_key: str, run_id: str, expiration: float | None
    ) -> None:
        raise NotImplementedError

    def result_storage(self) -> Any:
        """Where a value staged by hand (``txn.stage(value)``) is written."""
        options = flow_result_options()
        return resolve_storage(options[1] if options is not None else None)

    def exists(self, key: str) -> bool:
        """Whether `key` has a committed record that has not expired."""
        return self.read(key) is not None

    def read(self, key: str, holder: str | None = None) -> TransactionRecord | None:
        entry = self.read_entry(key)
        if entry is None:
            return None
        result_ref, expiration = entry
        if expiration is not None and expiration <= time.time():
            return None
        return TransactionRecord(key, result_ref, expiration)

    def write(self, key: str, obj: Any, holder: str | None = None) -> None:
        """Commit `obj` under `key`: a task's staged result, or any value (persisted first)."""
        if isinstance(obj, StagedResult):
            self.write_entry(key, obj.result_ref, obj.task_key, obj.run_id, obj.expiration)
            return
        storage = self.result_storage()
        serializer = get_serializer(None)
        name = serializer_name(serializer)
        storage_key = "transaction-" + hashlib.sha256(key.encode()).hexdigest()[:40]
        storage.write_path(
            storage_key, seal(serializer.dumps(obj), name, storage_key, signing_key())
        )
        ref = ResultRef(describe(storage), storage_key, name).dumps()
        ctx = FlowRunContext.get()
        self.write_entry(key, ref, "transaction", ctx.flow_run.id if ctx else "", None)

    def acquire_lock(self, key: str, holder: str) -> bool:
        return bool(self.lock_manager.acquire_lock(key, holder=holder))

    def release_lock(self, key: str, holder: str) -> None:
        if self.lock_manager.is_lock_holder(key, holder):
            self.lock_manager.release_lock(key, holder=holder)


class RunRecordStore(RecordStore):
    """Records kept as cache entries in the run record (the flow run's backend by default)."""

    def __init__(self, backend: Any = None, lock_manager: Any = None) -> None:
        super().__init__(lock_manager)
        self._backend = backend

    @property
    def backend(self) -> Any:
        if self._backend is None:
            ctx = FlowRunContext.get()
            self._backend = ctx.backend if ctx is not None else get_backend()
        return self._backend

    def read_entry(self, key: str) -> tuple[str, float | None] | None:
        return self.backend.read_cache(key)  # type: ignore[no-any-return]

    def write_entry(
        self, key: str, result_ref: str, task_key: str, run_id: str, expiration: float | None
    ) -> None:
        self.backend.write_cache(key, result_ref, task_key, run_id, expiration)

    def __repr__(self) -> str:
        return "RunRecordStore()"


class StorageRecordStore(RecordStore):
    """Records kept as JSON files in a storage block or directory (``key_storage``); values
    staged by hand are written beside them."""

    def __init__(self, storage: Any, lock_manager: Any = None) -> None:
        super().__init__(lock_manager)
        self.storage = resolve_storage(storage)

    def _path(self, key: str) -> str:
        return "records/" + hashlib.sha256(key.encode()).hexdigest()

    def result_storage(self) -> Any:
        return self.storage

    def read_entry(self, key: str) -> tuple[str, float | None] | None:
        try:
            doc = json.loads(self.storage.read_path(self._path(key)))
        except FileNotFoundError:
            return None
        return doc["result_ref"], doc.get("expiration")

    def write_entry(
        self, key: str, result_ref: str, task_key: str, run_id: str, expiration: float | None
    ) -> None:
        doc = {"key": key, "result_ref": result_ref, "expiration": expiration}
        doc.update(task_key=task_key, task_run_id=run_id, created=time.time())
        self.storage.write_path(self._path(key), json.dumps(doc, sort_keys=True).encode())

    def __repr__(self) -> str:
        return f"StorageRecordStore({self.storage!r})"


def record_store(store: Any, lock_manager: Any = None) -> RecordStore:
    """The record store for a ``store=`` / ``key_storage=`` value: a `RecordStore` as is; a path
    or storage block (or an object with ``metadata_storage`` / ``result_storage``, as Prefect's
    `ResultStore`) as files; None as the run record."""
    if isinstance(store, RecordStore):
        return store
    if store is None:
        return RunRecordStore(lock_manager=lock_manager)
    for attribute in ("metadata_storage", "result_storage"):
        inner = getattr(store, attribute, None)
        if inner is not None:
            return StorageRecordStore(inner, lock_manager)
    return StorageRecordStore(store, lock_manager)


class MemoryLockManager:
    """Locks on keys for the threads of one process (the default lock manager).

    The methods and their meaning are Prefect's `LockManager` protocol, so a lock manager written
    for Prefect (files, Redis) can be passed to ``CachePolicy.configure(lock_manager=...)``.
    """

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


default_locks = MemoryLockManager()

__all__ = [
    "MemoryLockManager",
    "RecordStore",
    "RunRecordStore",
    "StagedResult",
    "StorageRecordStore",
    "TransactionRecord",
    "default_locks",
    "record_store",
]
