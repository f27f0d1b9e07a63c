"""The routes that describe the server itself (docs/reference/http-api.md): the block types it
knows with their schemas, its plugins and collections, and its settings in effect.

``GET /block_types`` and ``GET /block_types/{slug}`` (`cadenza.server.block_types`),
``GET /plugins`` (the plugin manager's load report: what each plugin implements and registers,
and why a broken one was skipped), ``GET /settings`` (`cadenza.server.settings_view`, secrets
masked). Read-only; behind the API key like every route.
"""

from __future__ import annotations

import warnings
from typing import Any

from fastapi import APIRouter, Path

from cadenza.plugins import registry
from cadenza.plugins.errors import CadenzaPluginWarning
from cadenza.server import block_types
from cadenza.server.errors import NOT_FOUND
from cadenza.server.settings_view import settings_in_effect

Slug = Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$", description="a block type slug")


def router(
    database_url: str, database_source: str, api_key: str | None, key_source: str
) -> APIRouter:
    api = APIRouter()

    @api.get("/block_types")
    def list_block_types() -> list[dict[str, Any]]:
        """Every block type the server knows (the core's, and those of its plugins and
        collections) with its JSON schema, secret fields and where it comes from, by slug."""
        return block_types.list_block_types()

    @api.get("/block_types/{slug}", responses=NOT_FOUND)
    def get_block_type(slug: str = Slug) -> dict[str, Any]:
        """One block type; 404 if the server has none of that slug."""
        return block_types.get_block_type(slug)

    @api.get("/plugins")
    def list_plugins() -> dict[str, Any]:
        """The server's plugins in load order — built-in, loaded, failed (with the reason) or
        disabled — with the hooks each implements and what it registered, and any name two
        plugins both register."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CadenzaPluginWarning)  # reported in the answer
            report = registry.load_report()
        conflicts = [str(exc) for exc in registry.conflicts()]
        return {"plugins": [info.to_dict() for info in report], "conflicts": conflicts}

    @api.get("/settings")
    def list_settings() -> list[dict[str, Any]]:
        """Every setting in effect in the server's process: name, value (secrets masked),
        source, default and description."""
        return settings_in_effect(database_url, database_source, api_key, key_source)

    return api


__all__ = ["router"]
