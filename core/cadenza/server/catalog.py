"""The server's blocks, variables, artifacts and cache entries (SQLAlchemy Core, any dialect).

Shares the run store's write transaction (`Store._write`: serialised on SQLite, `DatabaseBusy`
when the file stays locked). Blocks arrive and leave in the open form of
`cadenza.blocks.sealing`: secrets are encrypted here with the server's key
(``CADENZA_ENCRYPTION_KEY`` or ``$CADENZA_HOME/key`` of the server process) before they are
written, and decrypted only for a reader that asks for them.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from cadenza.blocks.crypto import check_key
from cadenza.blocks.sealing import (
    SEALED_PATTERN,
    has_secrets,
    is_masked,
    keep_masked,
    mask,
    seal,
    sealed_names,
    unseal,
)
from cadenza.blocks.store import exists_message as block_exists
from cadenza.server.store import DatabaseBusy, Store
from cadenza.store.tables import artifacts, blocks, cache_entries, variables
from cadenza.variables import exists_message as variable_exists


class Conflict(Exception):
    """The resource exists and the request did not ask to replace it (HTTP 409)."""


def _block_info(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "type_slug": row.type_slug,
        "name": row.name,
        "schema_checksum": row.schema_checksum,
        "created": row.created,
        "updated": row.updated,
    }


def _variable(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "value": json.loads(row.value),
        "tags": json.loads(row.tags),
        "created": row.created,
        "updated": row.updated,
    }


def artifact_item(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.key,
        "type": row.type,
        "description": row.description,
        "data": json.loads(row.data),
        "flow_run_id": row.flow_run_id,
        "task_run_id": row.task_run_id,
        "created": row.created,
    }


def _like_literal(text: str) -> str:
    """``text`` matched literally by LIKE with ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Catalog:
    def __init__(self, store: Store) -> None:
        self.store = store

    @contextlib.contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        try:
            with self.store.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise DatabaseBusy(str(exc.orig)) from None

    # -- blocks ---------------------------------------------------------------------------------
    def list_blocks(self, type_slug: str | None) -> list[dict[str, Any]]:
        query = sa.select(blocks).order_by(blocks.c.type_slug, blocks.c.name)
        if type_slug is not None:
            query = query.where(blocks.c.type_slug == type_slug)
        with self._read() as conn:
            return [_block_info(row) for row in conn.execute(query)]

    def get_block(self, type_slug: str, name: str, include_secrets: bool) -> dict[str, Any]:

        query = sa.select(blocks).where(blocks.c.type_slug == type_slug, blocks.c.name == name)
        with self._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise LookupError(f"No block '{type_slug}/{name}' is saved on this server")
        data = json.loads(row.data)
        what = f"block '{type_slug}/{name}'"
        return {**_block_info(row), "data": unseal(data, what) if include_secrets else mask(data)}

    def _first_sealed(self) -> str | None:
        """A block on this server holding secrets sealed with a key ("block 'slug/name'")."""

        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(blocks.c.type_slug, blocks.c.name, blocks.c.data)
                .where(blocks.c.data.like(SEALED_PATTERN))
                .order_by(blocks.c.type_slug, blocks.c.name)
            )
            found = sealed_names(rows, limit=1)
        return found[0] if found else None

    def put_block(
        self,
        type_slug: str,
        name: str,
        data: dict,
        checksum: str,
        overwrite: bool,
        check: Callable[[Any], Any] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Save a block (``data`` open); (its info, True if created). `Conflict` if it exists
        and not ``overwrite``. A masked secret in ``data`` keeps the secret saved at the same
        place (`keep_masked`: `MaskedSecretError` if there is none). ``check``, if given, gets
        the data with every secret open and answers the data to save (see
        `cadenza.server.block_types.checker`)."""

        if check is not None or has_secrets(data):  # never seal with a new key while secrets
            check_key(self._first_sealed)  # sealed before remain (`check` may add secrets)
        now = time.time()
        where = (blocks.c.type_slug == type_slug, blocks.c.name == name)
        with self.store._write() as conn:
            existing = conn.execute(
                sa.select(blocks.c.id, blocks.c.created, blocks.c.data).where(*where)
                .with_for_update()
            ).first()  # fmt: skip
            if existing is not None and not overwrite:
                raise Conflict(block_exists(type_slug, name))
            if is_masked(data):
                data = keep_masked(data, json.loads(existing.data) if existing else None)
            if check is not None:
                data = check(unseal(data, f"block '{type_slug}/{name}'"))
            text = json.dumps(seal(data), sort_keys=True, separators=(",", ":"))
            values = {"data": text, "schema_checksum": checksum, "updated": now}
            if existing is None:
                values.update(id=str(uuid.uuid4()), type_slug=type_slug, name=name, created=now)
                conn.execute(blocks.insert(), values)
            else:
                conn.execute(blocks.update().where(*where).values(values))
                values.update(id=existing.id, type_slug=type_slug, name=name,
                              created=existing.created)  # fmt: skip
        values.pop("data")
        return values, existing is None

    def delete_block(self, type_slug: str, name: str) -> None:
        with self.store._write() as conn:
            deleted = conn.execute(
                blocks.delete().where(blocks.c.type_slug == type_slug, blocks.c.name == name)
            ).rowcount
        if not deleted:
            raise LookupError(f"No block '{type_slug}/{name}' is saved on this server")

    # -- variables ------------------------------------------------------------------------------
    def list_variables(self, limit: int, offset: int, tag: str | None) -> list[dict[str, Any]]:
        query = sa.select(variables).order_by(variables.c.name)
        if tag is None:
            with self._read() as conn:
                return [_variable(r) for r in conn.execute(query.limit(limit).offset(offset))]
        # tags are a JSON list in text: narrow with LIKE in SQL, then check each list exactly
        pattern = f"%{_like_literal(json.dumps(tag))}%"
        query = query.where(variables.c.tags.like(pattern, escape="\\"))
        with self._read() as conn:
            rows = [_variable(row) for row in conn.execute(query)]
        return [row for row in rows if tag in row["tags"]][offset : offset + limit]

    def get_variable(self, name: str) -> dict[str, Any]:
        with self._read() as conn:
            row = conn.execute(sa.select(variables).where(variables.c.name == name)).first()
        if row is None:
            raise LookupError(f"No variable {name!r} is set on this server")
        return _variable(row)

    def set_variable(
        self, name: str, value: Any, tags: list[str], overwrite: bool
    ) -> tuple[dict[str, Any], bool]:

        now = time.time()
        text = json.dumps(value)
        with self.store._write() as conn:
            existing = conn.execute(
                sa.select(variables.c.created).where(variables.c.name == name).with_for_update()
            ).first()
            if existing is not None and not overwrite:
                raise Conflict(variable_exists(name))
            created = existing.created if existing is not None else now
            row = {"name": name, "value": text, "tags": json.dumps(tags),
                   "created": created, "updated": now}  # fmt: skip
            conn.execute(self.store.upsert(variables, "name"), row)
        return {**row, "value": value, "tags": tags}, existing is None

    def delete_variable(self, name: str) -> None:
        with self.store._write() as conn:
            deleted = conn.execute(variables.delete().where(variables.c.name == name)).rowcount
        if not deleted:
            raise LookupError(f"No variable {name!r} is set on this server")

    # -- artifacts ------------------------------------------------------------------------------
    def create_artifact(self, row: dict[str, Any]) -> None:
        with self.store._write() as conn:
            conn.execute(self.store.insert_ignore(artifacts), [row])

    def list_artifacts(self, limit: int, offset: int, **filters: Any) -> list[dict[str, Any]]:
        query = sa.select(artifacts).order_by(artifacts.c.created.desc(), artifacts.c.id.desc())
        for column, value in filters.items():
            if value is not None:
                query = query.where(artifacts.c[column] == value)
        with self._read() as conn:
            return [artifact_item(r) for r in conn.execute(query.limit(limit).offset(offset))]

    def get_artifact(self, artifact_id: str) -> dict[str, Any]:
        with self._read() as conn:
            row = conn.execute(sa.select(artifacts).where(artifacts.c.id == artifact_id)).first()
        if row is None:
            raise LookupError(f"No artifact with id {artifact_id!r}")
        return artifact_item(row)

    # -- cache entries --------------------------------------------------------------------------
    def get_cache_entry(self, key: str) -> dict[str, Any]:
        with self._read() as conn:
            row = conn.execute(sa.select(cache_entries).where(cache_entries.c.key == key)).first()
        if row is None:
            raise LookupError(f"No cache entry for key {key!r}")
        return dict(row._mapping)


__all__ = ["Catalog", "Conflict", "artifact_item"]
