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
import time
from typing import Any

from cadenza._options import flow_result_options
from cadenza.backends import get_backend
from cadenza.context import FlowRunContext
from cadenza.locking.memory import MemoryLockManager
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

    def flush(self) -> None:
        """Make what was written durable, for other processes to read."""

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
        entry: tuple[str, float | None] | None = self.backend.read_cache(key)
        return entry

    def write_entry(
        self, key: str, result_ref: str, task_key: str, run_id: str, expiration: float | None
    ) -> None:
        self.backend.write_cache(key, result_ref, task_key, run_id, expiration)

    def flush(self) -> None:
        self.backend.flush()

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


default_locks = MemoryLockManager()

__all__ = [
    "RecordStore",
    "RunRecordStore",
    "StagedResult",
    "StorageRecordStore",
    "TransactionRecord",
    "default_locks",
    "record_store",
]
