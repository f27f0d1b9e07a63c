"""`LocalRecord`: short reads and writes on the embedded record outside the run writer.

Saved blocks, variables and artifact reads are rare, small operations. Each store built on this
class keeps one connection per process (never shared across a fork), opened — and the schema
made current — on first use; every write is one ``BEGIN IMMEDIATE`` transaction, so several
processes may use the same record at once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from cadenza.store.database import connect, default_db_path, ensure_schema

R = TypeVar("R", bound="LocalRecord")


class LocalRecord:
    """The embedded record at ``path`` (default ``$CADENZA_HOME/cadenza.db``)."""

    def __init__(self, path: Path | str | None = None) -> None:

        self.path = Path(path) if path is not None else default_db_path()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None

    @property
    def where(self) -> str:
        """Where the data lives, for messages."""
        return str(self.path)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            ensure_schema(self.path)
            self._conn = connect(self.path)
            self._pid = os.getpid()
        return self._conn

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """The rows of one read."""
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on error)."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


_instances: dict[tuple[type, Path], Any] = {}
_instances_lock = threading.Lock()


def local(cls: type[R]) -> R:
    """The process's instance of store class ``cls`` on the current settings' record."""

    key = (cls, default_db_path())
    with _instances_lock:
        store = _instances.get(key)
        if store is None:
            store = _instances[key] = cls(key[1])
    return store


def reset_local() -> None:
    """Close and forget every instance (tests; after moving CADENZA_HOME)."""
    with _instances_lock:
        for store in _instances.values():
            store.close()
        _instances.clear()


__all__ = ["LocalRecord", "local", "reset_local"]
