"""The block types this server knows — the core's and those its plugins and collections
register — described for ``GET /block_types``, and the check of a block's data against its type.

A type is described by its JSON schema (pydantic's, secret fields marked ``writeOnly``), the
dotted paths of its secret fields, its description and the plugin (and distribution) that
registered it, so a form can be generated from it and a client can tell where it comes from.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from cadenza.blocks.core import Block, validate_data
from cadenza.blocks.registry import block_types
from cadenza.plugins import registry
from cadenza.plugins.errors import CadenzaPluginWarning, PluginConflictError
from cadenza.plugins.manager import LOADED, PluginInfo
from cadenza.server.errors import Refused


def _known() -> dict[str, tuple[type[Block], PluginInfo | None]]:
    """Every block type by slug with the plugin that registered it (None: registered in this
    process with `register_block_type`). Of two plugins registering one slug, the first wins
    here (``GET /plugins`` reports the conflict) instead of failing the listing."""
    found: dict[str, tuple[type[Block], PluginInfo | None]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CadenzaPluginWarning)  # GET /plugins reports them
        report = registry.load_report()
    for info in report:
        if info.status == LOADED:
            for slug, cls in (info.contributions or {}).get("block_types", ()):
                found.setdefault(slug, (cls, info))
    try:
        extra = block_types()
    except PluginConflictError:
        extra = {}
    for slug, cls in extra.items():
        if found.get(slug, (None, None))[0] is not cls:
            found[slug] = (cls, None)
    return dict(sorted(found.items()))


def describe(slug: str, cls: type[Block], plugin: PluginInfo | None) -> dict[str, Any]:
    """One block type as ``GET /block_types/{slug}`` answers it."""
    out: dict[str, Any] = {
        "slug": slug,
        "name": cls.get_block_type_name(),
        "description": cls.get_description(),
        "logo_url": cls.get_logo_url(),
        "module": cls.__module__,
        "plugin": plugin.name if plugin else None,
        "distribution": plugin.distribution if plugin else None,
        "version": plugin.version if plugin else None,
    }
    try:
        schema = cls.block_schema()
    except Exception as exc:  # a type whose schema pydantic cannot build: listed, not fatal
        return {**out, "schema": None, "secret_fields": [], "schema_checksum": None,
                "error": f"{type(exc).__name__}: {exc}"}  # fmt: skip
    return {**out, "schema": schema, "secret_fields": schema.get("secret_fields", []),
            "schema_checksum": cls.block_schema_checksum(), "error": None}  # fmt: skip


def list_block_types() -> list[dict[str, Any]]:
    """Every block type this server knows, by slug."""
    return [describe(slug, cls, plugin) for slug, (cls, plugin) in _known().items()]


def get_block_type(slug: str) -> dict[str, Any]:
    """One block type; LookupError (404) naming the known ones if the server has none."""
    known = _known()
    if slug not in known:
        names = ", ".join(known) or "none"
        raise LookupError(
            f"No block type {slug!r} is registered on this server (known: {names}); is the "
            "collection that provides it installed where the server runs?"
        )
    cls, plugin = known[slug]
    return describe(slug, cls, plugin)


def checker(slug: str, checksum: str) -> Callable[[Any], Any] | None:
    """For a block saved with the schema this server has for ``slug``: a function validating
    its data (open secrets, or plain values where the type has secrets) and answering it in the
    open form the type saves, or raising `Refused` with each problem at
    ``["body", "data", *field]``. None when the server does not know the type or has another
    version of its schema: the data is then stored as the client sent it."""
    found = _known().get(slug)
    if found is None:
        return None
    cls = found[0]
    try:
        if cls.block_schema_checksum() != checksum:
            return None
    except Exception:
        return None

    def check(data: Any) -> Any:
        try:
            return validate_data(cls, data)
        except ValidationError as exc:
            problems = exc.errors(include_input=False, include_url=False)
            raise Refused([(("body", "data", *e["loc"]), e["msg"]) for e in problems]) from None

    return check


__all__ = ["checker", "describe", "get_block_type", "list_block_types"]
