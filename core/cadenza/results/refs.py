"""Result references: the string that finds a persisted result again, in any process.

A reference is compact JSON::

    {"key":"<storage key>","serializer":"cloudpickle","storage":{"basepath":"/abs/path",
     "type":"local"},"v":1}

``storage`` is the backend's own description (``to_ref()``, see `cadenza.storage`), rebuilt
through the storage type registry. ``serializer`` is informational: the authoritative name is
the one inside the signed envelope.
"""

from __future__ import annotations

import json
from typing import Any

REF_VERSION = 1


class ResultRef:
    """A decoded reference: storage description, storage key and serializer name."""

    __slots__ = ("key", "serializer", "storage")

    def __init__(self, storage: dict[str, Any], key: str, serializer: str) -> None:
        self.storage = storage
        self.key = key
        self.serializer = serializer

    def dumps(self) -> str:
        doc = {"v": REF_VERSION, "storage": self.storage, "key": self.key}
        doc["serializer"] = self.serializer
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    @classmethod
    def loads(cls, ref: str) -> ResultRef:
        """Decode ``ref``; `ValueError` naming it when it is not a result reference."""
        try:
            doc = json.loads(ref)
        except (TypeError, ValueError):
            raise ValueError(f"Not a cadenza result reference: {ref!r}") from None
        if (
            not isinstance(doc, dict)
            or not isinstance(doc.get("storage"), dict)
            or not isinstance(doc.get("key"), str)
        ):
            raise ValueError(f"Not a cadenza result reference: {ref!r}")
        if doc.get("v", REF_VERSION) != REF_VERSION:
            raise ValueError(f"Unsupported result reference version {doc.get('v')!r}: {ref!r}")
        return cls(doc["storage"], doc["key"], str(doc.get("serializer", "")))

    def __repr__(self) -> str:
        return f"ResultRef({self.dumps()})"


__all__ = ["REF_VERSION", "ResultRef"]
