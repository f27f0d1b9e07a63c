"""Blocks and variables kept on a server: the same methods as the local stores
(`cadenza.blocks.store.BlockStore`, `cadenza.variables.VariableStore`) over the API."""

from __future__ import annotations

from typing import Any

from cadenza.blocks.exceptions import BlockAlreadyExistsError
from cadenza.blocks.store import BlockRow
from cadenza.client.http import ApiClient, ApiError, NotFound
from cadenza.variables import Variable


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
        return _row(row)

    def list(self, type_slug: str | None = None) -> list[BlockRow]:
        return [_row({**row, "data": None}) for row in self.client.list_blocks(type_slug)]

    def put(
        self, type_slug: str, name: str, data: Any, schema_checksum: str, *, overwrite: bool
    ) -> BlockRow:
        try:
            row = self.client.put_block(type_slug, name, data, schema_checksum, overwrite)
        except ApiError as exc:
            if exc.status == 409:
                raise BlockAlreadyExistsError(exc.detail) from None
            raise
        return _row({**row, "data": data})

    def delete(self, type_slug: str, name: str) -> bool:
        try:
            self.client.delete_block(type_slug, name)
        except NotFound:
            return False
        return True


def _row(row: dict[str, Any]) -> BlockRow:
    return BlockRow(
        row["id"], row["type_slug"], row["name"], row.get("data"), row["schema_checksum"],
        row["created"], row["updated"],
    )  # fmt: skip


class RemoteVariableStore:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def get(self, name: str) -> Variable | None:
        try:
            return Variable(**self.client.get_variable(name))
        except NotFound:
            return None

    def list(self) -> list[Variable]:
        out: list[Variable] = []
        while True:
            page = self.client.list_variables(limit=1000, offset=len(out))
            out.extend(Variable(**row) for row in page)
            if len(page) < 1000:
                return out

    def set(self, name: str, value: Any, tags: list[str], overwrite: bool) -> Variable:
        try:
            return Variable(**self.client.set_variable(name, value, tags, overwrite))
        except ApiError as exc:
            if exc.status == 409:
                raise ValueError(exc.detail) from None
            raise

    def unset(self, name: str) -> bool:
        try:
            self.client.delete_variable(name)
        except NotFound:
            return False
        return True


__all__ = ["RemoteBlockStore", "RemoteVariableStore"]
