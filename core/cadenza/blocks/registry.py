"""Which block types exist: the plugin registry's, plus any registered here directly.

Block types come from plugins (their ``register_block_types`` hook, and the `Block` subclasses
of their ``register_storage_backends`` hook; collected by
`cadenza.plugins.registry.block_types`), never from import side effects: defining a `Block`
subclass registers nothing. `register_block_type` adds a type in this process (tests, scripts,
applications that define their own types); these are consulted first. The core's own types
(`Secret`, `LocalFileSystem`) come through the same hook, from `cadenza.plugins.builtin`.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import TYPE_CHECKING

from cadenza import registries
from cadenza.blocks.exceptions import BlockTypeNotFoundError

if TYPE_CHECKING:
    from cadenza.blocks.core import Block

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

_lock = threading.Lock()
_registered: dict[str, type[Block]] = {}


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_block_type(cls: type[Block]) -> type[Block]:
    """Register ``cls`` under its slug in this process; returns ``cls`` (usable as a decorator).

    Re-registering the same class is a no-op; another class under the same slug is a
    `ValueError` naming both.
    """
    # `cadenza.blocks.core` imports this module; a Block subclass exists only once it is loaded
    block = getattr(sys.modules.get("cadenza.blocks.core"), "Block", None)
    if block is None or not (isinstance(cls, type) and issubclass(cls, block)) or cls is block:
        raise TypeError(f"register_block_type() needs a Block subclass, got {cls!r}")
    slug = cls.get_block_type_slug()
    with _lock:
        current = _registered.get(slug)
        if current is not None and current is not cls:
            raise ValueError(
                f"Block type slug {slug!r} is already registered to {_qualname(current)}; "
                f"cannot register {_qualname(cls)}"
            )
        _registered[slug] = cls
    return cls


def unregister_block_type(slug_or_cls: str | type[Block]) -> None:
    """Forget a type registered with `register_block_type` (missing: no error)."""
    slug = slug_or_cls if isinstance(slug_or_cls, str) else slug_or_cls.get_block_type_slug()
    with _lock:
        _registered.pop(slug, None)


def _plugin_types() -> dict[str, type[Block]]:
    """The plugins' block types, and the `Block` subclasses they contribute as storage
    backends (a storage block is saved and loaded by name like any block)."""
    types: dict[str, type[Block]] = dict(registries.contributed("block_types"))
    for cls in registries.contributed("storage_backends").values():
        block_slug = getattr(cls, "get_block_type_slug", None)
        if callable(block_slug):
            types.setdefault(block_slug(), cls)
    return types


def block_types() -> dict[str, type[Block]]:
    """Every known block type by slug: the plugins' (built-ins included), then those registered
    here (which win for the same slug), sorted by slug."""
    types = _plugin_types()
    with _lock:
        types.update(_registered)
    return dict(sorted(types.items()))


def get_block_type(slug: str) -> type[Block]:
    """The block type registered as ``slug``; `BlockTypeNotFoundError` listing the known."""
    with _lock:
        cls = _registered.get(slug)
    if cls is not None:
        return cls
    types = block_types()
    try:
        return types[slug]
    except KeyError:
        known = ", ".join(types) or "none"
        raise BlockTypeNotFoundError(
            f"Unknown block type {slug!r} (known: {known}); is the collection that provides it "
            "installed?"
        ) from None


__all__ = [
    "block_types",
    "get_block_type",
    "register_block_type",
    "unregister_block_type",
]
