"""Result storage backends: the `StorageBackend` protocol, key validation, and the type registry.

A storage backend holds opaque byte blobs under string keys — the core's
`cadenza.filesystems.LocalFileSystem`, and S3/GCS buckets contributed by collections. The
`StorageBackend` class states the contract: five methods, every key checked by `validate_key`,
and ``to_ref()`` / ``from_ref()`` so that a persisted result's reference can rebuild the backend
in another process. `describe` and `from_description` are those two directions as the results
layer calls them; the class behind a reference's ``"type"`` is the one registered for it with
`register_storage_type`, or by a plugin's ``register_storage_backends`` hook.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any, Protocol, runtime_checkable

from cadenza import registries
from cadenza.exceptions import InvalidStorageKey

MAX_KEY_LENGTH = 1024
"""The longest key `validate_key` accepts, in characters."""
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@runtime_checkable
class StorageBackend(Protocol):
    """What the results layer needs of a storage backend: five methods over byte blobs.

    ``isinstance(obj, StorageBackend)`` checks that the five methods exist. Each method passes
    its key through `validate_key` first (and raises what it raises, `InvalidStorageKey`), so
    a key is portable between backends and never names anything outside the backend's base
    path or bucket prefix.

    To be used as ``result_storage=`` — and so registered by a plugin's
    ``register_storage_backends`` hook — a backend also describes itself for the result
    references kept in the run record. A `cadenza.blocks.Block` subclass inherits both methods
    (a saved block is named, an unsaved one carries its fields; see ``Block.to_ref``); any
    other class writes them:

    - ``to_ref() -> dict``: JSON-serialisable, with a ``"type"`` key naming the slug the class
      is registered under. The reference is stored in clear text: never put a secret in it
      (name a saved credentials block instead).
    - ``from_ref(ref: dict)`` (a classmethod): the backend that ``to_ref()`` described, in any
      process.

    `cadenza.testing.StorageBackendConformance` checks all of this for a backend of yours.
    """

    def read_path(self, key: str) -> bytes:
        """The blob stored under ``key``; `FileNotFoundError` naming the key when there is
        none."""
        ...

    def write_path(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing any previous blob. A reader never sees a
        partial write (local files: a temporary file and ``os.replace``; object stores: one
        PUT)."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob stored under ``key``; deleting a missing key is not an error."""
        ...

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every stored key starting with ``prefix`` (a plain string prefix, as in object
        stores, not a directory), sorted."""
        ...


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
    """``storage.to_ref()``, checked: a dict with a registered ``"type"``.

    A `TypeError` says what is missing when the backend has no ``to_ref`` or it returns
    something else; a `LookupError` names the known types when the ``"type"`` is not registered.
    """
    to_ref = getattr(storage, "to_ref", None)
    if to_ref is None:
        raise TypeError(
            f"Result storage {storage!r} cannot describe itself: make its class a "
            "cadenza.blocks.Block subclass, or give it to_ref() -> dict and from_ref(), and "
            "register it (a plugin's register_storage_backends hook, or "
            "cadenza.storage.register_storage_type())"
        )
    desc = to_ref()
    if not isinstance(desc, dict) or "type" not in desc:
        raise TypeError(f"{type(storage).__name__}.to_ref() must return a dict with a 'type'")
    storage_type(desc["type"])
    return desc


def from_description(desc: dict[str, Any]) -> Any:
    """The backend described by ``desc`` (the inverse of `describe`): ``from_ref(desc)`` of the
    class registered for its ``"type"``."""
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
