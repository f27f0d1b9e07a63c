"""The signed envelope around a stored result payload.

Layout (version 1)::

    b"CDZR"            4 bytes   magic
    0x01               1 byte    format version
    n                  1 byte    length of the serializer name
    name               n bytes   serializer name, ASCII (e.g. b"cloudpickle")
    signature          32 bytes  HMAC-SHA256 (see below)
    payload            the rest  the serializer's bytes

The signature covers a domain tag, the storage key the blob is written under, the header
(magic, version, name) and the payload — so a blob copied to another key, a changed serializer
name, a flipped bit or a cut-off tail all fail verification. `open_envelope` checks the
signature with `hmac.compare_digest` before anything reads the payload.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from cadenza.exceptions import ResultIntegrityError

MAGIC = b"CDZR"
VERSION = 1
SIG_BYTES = 32
_DOMAIN = b"cadenza-result\x00"
_FIXED = len(MAGIC) + 2  # magic + version + name length


def seal(payload: bytes, serializer: str, storage_key: str, signing_key: bytes) -> bytes:
    """The envelope holding ``payload``, written by ``serializer``, to be stored at the key."""
    name = serializer.encode("ascii")
    if not 0 < len(name) < 256:
        raise ValueError(f"Serializer name must be 1-255 ASCII characters: {serializer!r}")
    header = MAGIC + bytes((VERSION, len(name))) + name
    return header + _mac(signing_key, storage_key, header, payload) + payload


def open_envelope(
    blob: bytes, storage_key: str, signing_key: bytes | Callable[[], bytes]
) -> tuple[str, bytes]:
    """``(serializer name, payload)`` of a verified envelope; `ResultIntegrityError` naming
    the key when the blob is not an intact envelope signed with ``signing_key`` for that key.

    ``signing_key`` may be a function returning the key, called only once the blob has passed
    the checks that need no key (so a foreign file is refused as such)."""
    blob = bytes(blob)
    if not blob:
        raise _refused(storage_key, "it is empty")
    if len(blob) < _FIXED and MAGIC.startswith(blob[: len(MAGIC)]):
        raise _refused(storage_key, "it is truncated (incomplete header)")
    if not blob.startswith(MAGIC):
        raise _refused(storage_key, "it is not a cadenza result file (no cadenza header)")
    version, name_len = blob[len(MAGIC)], blob[len(MAGIC) + 1]
    if version != VERSION:
        raise _refused(storage_key, f"it has unsupported format version {version}")
    header_end = _FIXED + name_len
    if len(blob) < header_end + SIG_BYTES:
        raise _refused(storage_key, "it is truncated (incomplete header)")
    header = blob[:header_end]
    signature = blob[header_end : header_end + SIG_BYTES]
    payload = blob[header_end + SIG_BYTES :]
    key = signing_key() if callable(signing_key) else signing_key
    if not hmac.compare_digest(signature, _mac(key, storage_key, header, payload)):
        raise _refused(
            storage_key,
            "its signature does not match (the file was modified, truncated, copied from "
            "another key, or signed with another result signing key)",
        )
    try:
        name = header[_FIXED:].decode("ascii")
    except UnicodeDecodeError:  # pragma: no cover - signed headers are always ASCII
        raise _refused(storage_key, "its serializer name is not ASCII") from None
    return name, payload


def _mac(signing_key: bytes, storage_key: str, header: bytes, payload: bytes) -> bytes:
    mac = hmac.new(signing_key, _DOMAIN, hashlib.sha256)
    encoded_key = storage_key.encode("utf-8")
    mac.update(len(encoded_key).to_bytes(4, "big") + encoded_key)
    mac.update(header)
    mac.update(payload)
    return mac.digest()


def _refused(storage_key: str, why: str) -> ResultIntegrityError:
    return ResultIntegrityError(f"Refusing to load the stored result at key {storage_key!r}: {why}")


__all__ = ["MAGIC", "SIG_BYTES", "VERSION", "open_envelope", "seal"]
