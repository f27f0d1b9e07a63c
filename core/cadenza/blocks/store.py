"""Where saved blocks live: the embedded record's ``blocks`` table, or a server.

`get_block_store` picks `BlockStore` (the local record under ``CADENZA_HOME``) or, when
``CADENZA_API_URL`` is set, the server's block routes (`RemoteBlockStore`).
Both take and give a block's data in the *open* form of `cadenza.blocks.sealing`: the store that
owns the database seals secrets on the way in and unseals them on the way out, so the database
only ever holds encrypted secrets and the key never leaves the process that owns it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cadenza._times import epoch
from cadenza.blocks.crypto import check_key
from cadenza.blocks.exceptions import BlockAlreadyExistsError
from cadenza.blocks.sealing import SEALED_PATTERN, has_secrets, seal, sealed_names, unseal
from cadenza.client.errors import ApiError, NotFound
from cadenza.client.remote import remote_or_none
from cadenza.store.local import LocalRecord, local, reset_local

if TYPE_CHECKING:
    import builtins  # in the classes below, `list` is their method

    from cadenza.client.http import ApiClient


@dataclass(frozen=True)
class BlockRow:
    """One saved block: ``data`` is its fields in the open form (None in listings)."""

    id: str
    type_slug: str
    name: str
    data: Any
    schema_checksum: str
    created: float
    updated: float

    @property
    def full_name(self) -> str:
        return f"{self.type_slug}/{self.name}"


def exists_message(type_slug: str, name: str) -> str:
    return (
        f"Block '{type_slug}/{name}' already exists; pass overwrite=True (or --overwrite) to "
        "replace it"
    )


class BlockStore(LocalRecord):
    """Saved blocks in the SQLite record."""

    def get(self, type_slug: str, name: str) -> BlockRow | None:
        """The block saved as ``type_slug/name`` with its secrets decrypted, or None."""

        rows = self.query(
            "SELECT id, type_slug, name, data, schema_checksum, created, updated FROM blocks "
            "WHERE type_slug = ? AND name = ?",
            (type_slug, name),
        )
        if not rows:
            return None
        id_, slug, short, data, checksum, created, updated = rows[0]
        open_data = unseal(json.loads(data), f"block '{slug}/{short}'")
        return BlockRow(id_, slug, short, open_data, checksum, created, updated)

    def list(self, type_slug: str | None = None) -> builtins.list[BlockRow]:
        """Every saved block (of ``type_slug`` if given), sorted by type slug then name."""
        sql = "SELECT id, type_slug, name, NULL, schema_checksum, created, updated FROM blocks"
        params: tuple[Any, ...] = ()
        if type_slug is not None:
            sql += " WHERE type_slug = ?"
            params = (type_slug,)
        return [BlockRow(*row) for row in self.query(sql + " ORDER BY type_slug, name", params)]

    def put(
        self, type_slug: str, name: str, data: Any, schema_checksum: str, *, overwrite: bool
    ) -> BlockRow:
        """Insert, or replace when ``overwrite``, the block ``type_slug/name``; return its row.

        ``data`` is in the open form; its secrets are encrypted before they are written. Raises
        `BlockAlreadyExistsError` if it exists and not ``overwrite``; the check and the write
        are one transaction, so two processes saving the same new name cannot both win.
        """

        if has_secrets(data):  # never seal with a new key while secrets sealed before remain
            check_key(self.first_sealed)
        text = json.dumps(seal(data), sort_keys=True, separators=(",", ":"))
        now = time.time()
        with self.transaction() as conn:
            existing = conn.execute(
                "SELECT id, created FROM blocks WHERE type_slug = ? AND name = ?",
                (type_slug, name),
            ).fetchone()
            if existing is not None and not overwrite:
                raise BlockAlreadyExistsError(exists_message(type_slug, name))
            if existing is None:
                block_id, created = str(uuid.uuid4()), now
                conn.execute(
                    "INSERT INTO blocks (id, type_slug, name, data, schema_checksum, created, "
                    "updated) VALUES (?,?,?,?,?,?,?)",
                    (block_id, type_slug, name, text, schema_checksum, created, now),
                )
            else:
                block_id, created = existing
                conn.execute(
                    "UPDATE blocks SET data = ?, schema_checksum = ?, updated = ? WHERE id = ?",
                    (text, schema_checksum, now, block_id),
                )
        return BlockRow(block_id, type_slug, name, data, schema_checksum, created, now)

    def sealed_blocks(self, limit: int | None = None) -> builtins.list[str]:
        """The saved blocks holding secrets sealed with a key ("block 'slug/name'"), sorted;
        at most `limit`. Non-empty: this record depends on an encryption key."""

        rows = self.query(
            "SELECT type_slug, name, data FROM blocks WHERE data LIKE ? ORDER BY type_slug, name",
            (SEALED_PATTERN,),
        )
        return sealed_names(rows, limit)

    def first_sealed(self) -> str | None:
        """The first of `sealed_blocks`, or None."""
        found = self.sealed_blocks(limit=1)
        return found[0] if found else None

    def delete(self, type_slug: str, name: str) -> bool:
        """Delete ``type_slug/name``; True if it existed."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM blocks WHERE type_slug = ? AND name = ?", (type_slug, name)
            )
        return cursor.rowcount > 0


class RemoteBlockStore:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @property
    def where(self) -> str:
        return f"the server at {self.client.url}"

    def get(self, type_slug: str, name: str) -> BlockRow | None:
        try:
            row = self.client.get_block(type_slug, name, include_secrets=True)
        except NotFound:
            return None
        return _remote_row(row)

    def list(self, type_slug: str | None = None) -> builtins.list[BlockRow]:
        return [_remote_row({**row, "data": None}) for row in self.client.list_blocks(type_slug)]

    def put(
        self, type_slug: str, name: str, data: Any, schema_checksum: str, *, overwrite: bool
    ) -> BlockRow:
        try:
            row = self.client.put_block(type_slug, name, data, schema_checksum, overwrite)
        except ApiError as exc:
            if exc.status == 409:
                raise BlockAlreadyExistsError(exc.detail) from None
            raise
        return _remote_row({**row, "data": data})

    def delete(self, type_slug: str, name: str) -> bool:
        try:
            self.client.delete_block(type_slug, name)
        except NotFound:
            return False
        return True


def _remote_row(row: dict[str, Any]) -> BlockRow:
    return BlockRow(
        row["id"], row["type_slug"], row["name"], row.get("data"), row["schema_checksum"],
        epoch(row["created"]) or 0.0, epoch(row["updated"]) or 0.0,  # answered as ISO 8601
    )  # fmt: skip


def get_block_store() -> Any:
    """The store of the current settings: a server's when ``CADENZA_API_URL`` is set, else
    the embedded record under ``CADENZA_HOME``."""
    remote = remote_or_none()
    if remote is not None:
        return RemoteBlockStore(remote)
    return local(BlockStore)


def reset_stores() -> None:
    """Close and forget every cached store (tests; after moving CADENZA_HOME)."""
    reset_local()


__all__ = [
    "BlockRow",
    "BlockStore",
    "RemoteBlockStore",
    "exists_message",
    "get_block_store",
    "reset_stores",
]
