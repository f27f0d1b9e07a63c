"""`BlockStore`: saved blocks in the embedded record's ``blocks`` table.

Rows hold already-encrypted data: this layer never sees a secret in clear text. Each call is
one short transaction (``BEGIN IMMEDIATE`` for writes) on a connection this store keeps per
process, so several processes may save and load blocks in the same record at once. The server
(a later issue) will offer the same methods over HTTP; `get_block_store` is where the choice
will be made.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from cadenza.blocks.exceptions import BlockAlreadyExistsError


@dataclass(frozen=True)
class BlockRow:
    """One saved block as stored: ``data`` is JSON text with secret fields encrypted."""

    id: str
    type_slug: str
    name: str
    data: str
    schema_checksum: str
    created: float
    updated: float

    @property
    def full_name(self) -> str:
        return f"{self.type_slug}/{self.name}"


_COLUMNS = "id, type_slug, name, data, schema_checksum, created, updated"


class BlockStore:
    """Saved blocks in the SQLite record at ``path`` (default ``$CADENZA_HOME/cadenza.db``)."""

    def __init__(self, path: Path | str | None = None) -> None:
        from cadenza.store.database import default_db_path

        self.path = Path(path) if path is not None else default_db_path()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None

    def _connection(self) -> sqlite3.Connection:
        """This process's connection, opened (and the schema made current) on first use."""
        if self._conn is None or self._pid != os.getpid():  # never share one across a fork
            from cadenza.store.database import connect, ensure_schema

            ensure_schema(self.path)
            self._conn = connect(self.path)
            self._pid = os.getpid()
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    # -- reads ------------------------------------------------------------------------------------
    def get(self, type_slug: str, name: str) -> BlockRow | None:
        """The block saved as ``type_slug/name``, or None."""
        with self._lock:
            row = (
                self._connection()
                .execute(
                    f"SELECT {_COLUMNS} FROM blocks WHERE type_slug = ? AND name = ?",
                    (type_slug, name),
                )
                .fetchone()
            )
        return BlockRow(*row) if row else None

    def list(self, type_slug: str | None = None) -> list[BlockRow]:
        """Every saved block (of ``type_slug`` if given), sorted by type slug then name."""
        sql = f"SELECT {_COLUMNS} FROM blocks"
        params: tuple = ()
        if type_slug is not None:
            sql += " WHERE type_slug = ?"
            params = (type_slug,)
        with self._lock:
            rows = self._connection().execute(sql + " ORDER BY type_slug, name", params).fetchall()
        return [BlockRow(*row) for row in rows]

    # -- writes -----------------------------------------------------------------------------------
    def put(
        self, type_slug: str, name: str, data: str, schema_checksum: str, *, overwrite: bool
    ) -> BlockRow:
        """Insert, or replace when ``overwrite``, the block ``type_slug/name``; return its row.

        Raises `BlockAlreadyExistsError` if it exists and not ``overwrite``. The check and the
        write are one transaction, so two processes saving the same new name cannot both win.
        """
        now = time.time()
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                existing = conn.execute(
                    "SELECT id, created FROM blocks WHERE type_slug = ? AND name = ?",
                    (type_slug, name),
                ).fetchone()
                if existing is not None and not overwrite:
                    raise BlockAlreadyExistsError(
                        f"Block '{type_slug}/{name}' already exists; pass overwrite=True "
                        "(or --overwrite) to replace it"
                    )
                if existing is None:
                    block_id, created = str(uuid.uuid4()), now
                    conn.execute(
                        f"INSERT INTO blocks ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
                        (block_id, type_slug, name, data, schema_checksum, created, now),
                    )
                else:
                    block_id, created = existing
                    conn.execute(
                        "UPDATE blocks SET data = ?, schema_checksum = ?, updated = ? WHERE id = ?",
                        (data, schema_checksum, now, block_id),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return BlockRow(block_id, type_slug, name, data, schema_checksum, created, now)

    def delete(self, type_slug: str, name: str) -> bool:
        """Delete ``type_slug/name``; True if it existed."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.execute(
                    "DELETE FROM blocks WHERE type_slug = ? AND name = ?", (type_slug, name)
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return cursor.rowcount > 0


_stores: dict[Path, BlockStore] = {}
_stores_lock = threading.Lock()


def get_block_store() -> BlockStore:
    """The store of the current settings: the embedded record under ``CADENZA_HOME``."""
    from cadenza.store.database import default_db_path

    path = default_db_path()
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = BlockStore(path)
    return store


def reset_stores() -> None:
    """Close and forget every cached store (tests; after moving CADENZA_HOME)."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()


__all__ = ["BlockRow", "BlockStore", "get_block_store", "reset_stores"]
