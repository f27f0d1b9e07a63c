"""A block type's schema (pydantic's JSON schema, secrets marked) and its checksum."""

from __future__ import annotations

import hashlib
import json
from typing import Any

_CHECKSUM_IGNORES = ("title", "description")
"""Top-level keys left out of the checksum: renaming the class or editing its docstring does
not change what a saved block's data must look like."""


def secret_field_paths(schema: dict[str, Any]) -> list[str]:
    """Dotted paths of the secret fields in a JSON schema (``writeOnly`` properties, as pydantic
    marks `SecretStr`). ``a.b`` is a nested model's field, ``a[]`` a list's items, ``a.*`` a
    dict's values."""
    out: list[str] = []
    _walk(schema, schema.get("$defs", {}), "", out, frozenset())
    return list(dict.fromkeys(out))


def _walk(
    node: Any, defs: dict[str, Any], prefix: str, out: list[str], stack: frozenset[str]
) -> None:
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in stack or name not in defs:
            return
        node, stack = defs[name], stack | {name}
    if node.get("writeOnly") and prefix:
        out.append(prefix)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key, ()):
            _walk(sub, defs, prefix, out, stack)
    for name, sub in node.get("properties", {}).items():
        _walk(sub, defs, f"{prefix}.{name}" if prefix else name, out, stack)
    items = node.get("items")
    if isinstance(items, dict):
        _walk(items, defs, f"{prefix}[]", out, stack)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        _walk(extra, defs, f"{prefix}.*", out, stack)


def checksum(schema: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the schema's canonical JSON (sorted keys, no whitespace), without
    the top-level title and description."""
    body = {k: v for k, v in schema.items() if k not in _CHECKSUM_IGNORES}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = ["checksum", "secret_field_paths"]
