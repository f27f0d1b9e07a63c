"""Result storage backends: the `StorageBackend` protocol, key validation, and the type registry.

A storage backend holds opaque byte blobs under string keys. Every backend — the core's
`cadenza.filesystems.LocalFileSystem`, and S3/GCS buckets contributed by collections — offers:

``read_path(key) -> bytes``
    The blob stored under ``key``; `FileNotFoundError` when there is none.
``write_path(key, data: bytes) -> None``
    Store ``data`` under ``key``, replacing any previous blob. A reader never sees a partial
    write (local files: temp file + ``os.replace``; object stores: one PUT).
``exists(key) -> bool``
``delete(key) -> None``
    Remove the blob; deleting a missing key is not an error.
``list_keys(prefix="") -> list[str]``
    Every stored key starting with ``prefix`` (a plain string prefix, as in object stores), sorted.

Every method passes its key through `validate_key` first, so that a key is portable between
backends and can never name something outside the backend's base path or bucket prefix.

A persisted result is found again, possibly in another process, through a *result reference*
(see `cadenza.results`) that embeds a description of the backend: ``to_ref() -> dict`` returns a
JSON-serialisable dict with a ``"type"`` slug, and the class registered for that slug — with
`register_storage_type`, or by a plugin's ``register_storage_backends`` hook — rebuilds the
backend with ``from_ref(dict)``. Never put credentials in
``to_ref()``: the reference is stored in the run record in clear text.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any, Protocol, runtime_checkable

from cadenza import registries
from cadenza.exceptions import InvalidStorageKey

MAX_KEY_LENGTH = 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@runtime_checkable
class StorageBackend(Protocol):
    """What the results layer needs of a storage backend (see the module docstring)."""

    def read_path(self, key: str) -> bytes: ...

    def write_path(self, key: str, data: bytes) -> None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def list_keys(self, prefix: str = "") -> list[str]: ...


def validate_key(key: Any) -> str:
    """``key`` normalised (``.`` segments and repeated ``/`` removed), or `InvalidStorageKey`.

    Refused: non-strings, the empty key, NUL and other control characters, backslashes,
    absolute paths (``/x``, ``C:x``), any ``..`` segment (even one that would stay inside, so a
    key means the same on every backend), keys with nothing left after normalising, and keys
    longer than 1024 characters.
    """
    if not isinstance(key, str):
        raise InvalidStorageKey(f"Storage key must be a string, got {type(key).__name__}: {key!r}")
    problem = _key_problem(key)
    if problem is not None:
        raise InvalidStorageKey(f"Invalid storage key {key!r}: {problem}")
    return "/".join(part for part in key.split("/") if part not in ("", "."))


def _key_problem(key: str) -> str | None:
    if not key:
        return "it is empty"
    if "\x00" in key:
        return "it contains a NUL byte"
    if _CONTROL.search(key):
        return "it contains a control character"
    if "\\" in key:
        return "it contains a backslash; use '/' to separate parts"
    if key.startswith("/") or _DRIVE.match(key):
        return "it is an absolute path; keys are relative to the storage's base path"
    if len(key) > MAX_KEY_LENGTH:
        return f"it is longer than {MAX_KEY_LENGTH} characters"
    parts = [part for part in key.split("/") if part not in ("", ".")]
    if ".." in parts:
        return "it contains a '..' segment, which could escape the storage's base path"
    if not parts:
        return "it names no file"
    return None


# -- the registry of storage types --------------------------------------------------------------

_TYPES: dict[str, Any] = {"local": "cadenza.filesystems:LocalFileSystem"}
"""slug -> class, or ``"module:attribute"`` imported on first use (keeps imports light)."""

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def register_storage_type(slug: str, cls: Any) -> None:
    """Make ``cls`` (or a ``"module:Class"`` path) the backend rebuilt for references of type
    ``slug``. Re-registering the same class is a no-op; a different one is a `ValueError` naming
    both, so two collections cannot silently shadow each other."""
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise ValueError(f"Storage type slug must be lower-case letters, digits, - or _: {slug!r}")
    current = _TYPES.get(slug)
    if current is not None and _qualname(current) != _qualname(cls):
        raise ValueError(
            f"Storage type {slug!r} is already registered to {_qualname(current)}; "
            f"cannot register {_qualname(cls)}"
        )
    _TYPES[slug] = cls


def storage_type(slug: str) -> Any:
    """The class registered for ``slug``, directly or by a plugin's ``register_storage_backends``
    hook (consulted only for a slug not registered directly); `LookupError` listing the known
    types otherwise."""
    try:
        cls = _TYPES[slug]
    except (KeyError, TypeError):
        plugin_types = _plugin_storage_types()
        if isinstance(slug, str) and slug in plugin_types:
            return plugin_types[slug]
        known = ", ".join(sorted({*_TYPES, *plugin_types}))
        raise LookupError(
            f"Unknown result storage type {slug!r} (known: {known}); is the collection that "
            "provides it installed?"
        ) from None
    if isinstance(cls, str):
        module, _, attr = cls.partition(":")
        cls = _TYPES[slug] = getattr(import_module(module), attr)
    return cls


def _plugin_storage_types() -> dict[str, Any]:
    return registries.contributed("storage_backends")


def describe(storage: Any) -> dict[str, Any]:
    """``storage.to_ref()``, checked: a dict with a registered ``"type"``."""
    to_ref = getattr(storage, "to_ref", None)
    if to_ref is None:
        raise TypeError(
            f"Result storage {storage!r} cannot describe itself: give its class a to_ref() -> "
            "dict method and register it with cadenza.storage.register_storage_type()"
        )
    desc = to_ref()
    if not isinstance(desc, dict) or "type" not in desc:
        raise TypeError(f"{type(storage).__name__}.to_ref() must return a dict with a 'type'")
    storage_type(desc["type"])
    return desc


def from_description(desc: dict[str, Any]) -> Any:
    """The backend described by ``desc`` (the inverse of `describe`)."""
    slug = desc.get("type")
    if not isinstance(slug, str):
        raise LookupError(f"A result storage description needs a string 'type': {desc!r}")
    cls = storage_type(slug)
    return cls.from_ref(desc)


def _qualname(cls: Any) -> str:
    if isinstance(cls, str):
        return cls
    return f"{getattr(cls, '__module__', '?')}:{getattr(cls, '__qualname__', repr(cls))}"


__all__ = [
    "MAX_KEY_LENGTH",
    "StorageBackend",
    "describe",
    "from_description",
    "register_storage_type",
    "storage_type",
    "validate_key",
]
