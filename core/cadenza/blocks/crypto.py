"""The key that encrypts blocks' secret fields at rest (Fernet, from ``cryptography``).

The key is ``CADENZA_ENCRYPTION_KEY`` (a Fernet key: 32 url-safe base64-encoded bytes, as
``cadenza.blocks.crypto.generate_key()`` or ``Fernet.generate_key()`` makes), else the key kept
in ``$CADENZA_HOME/key``, created with mode 0600 on first use (race-safe: two processes
creating it at once agree on one key). The key is never stored in the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cadenza._keyfiles import create_key_file
from cadenza.blocks.exceptions import BlockDecryptionError

KEY_FILE = "key"

_cache: dict[tuple[str, str | None], tuple[Any, str]] = {}


def generate_key() -> str:
    """A new random Fernet key, as text."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def _fernet() -> tuple[Any, str]:
    """The Fernet for the current settings and a description of where its key comes from."""
    from cadenza.settings import spec

    override = spec.get("CADENZA_ENCRYPTION_KEY")
    text = override.get_secret_value().strip() if override is not None else None
    home = spec.home()
    cache_key = (str(home), text)
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    if text is not None:
        source = "CADENZA_ENCRYPTION_KEY"
        key = text.encode("ascii", "replace")
    else:
        path = home / KEY_FILE
        source = str(path)
        key = _from_file(path)
    from cryptography.fernet import Fernet

    try:
        fernet = Fernet(key)
    except (ValueError, TypeError):
        raise BlockDecryptionError(
            f"The block encryption key from {source} is not a valid Fernet key (32 url-safe "
            "base64-encoded bytes); generate one with "
            "`python -c 'from cadenza.blocks.crypto import generate_key; print(generate_key())'`"
        ) from None
    _cache[cache_key] = (fernet, source)
    return fernet, source


def key_source() -> str:
    """Where the current key comes from: ``CADENZA_ENCRYPTION_KEY`` or the key file's path."""
    return _fernet()[1]


def encrypt(plain: str) -> str:
    """``plain`` encrypted with the current key, as a Fernet token (text)."""
    fernet, _ = _fernet()
    return fernet.encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str, what: str) -> str:
    """The clear text of ``token``; `BlockDecryptionError` naming ``what`` (e.g. the block) if
    the current key is not the one it was encrypted with."""
    from cryptography.fernet import InvalidToken

    fernet, source = _fernet()
    try:
        return fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, TypeError, UnicodeError):
        raise BlockDecryptionError(
            f"Cannot decrypt the secret fields of {what}: the encryption key (from {source}) does "
            "not match the key it was saved with. Set CADENZA_ENCRYPTION_KEY (or restore "
            "$CADENZA_HOME/key) to the original key, or save the block again."
        ) from None


def _from_file(path: Path) -> bytes:
    if not path.exists():
        _create(path)
    return path.read_bytes().strip()


def _create(path: Path) -> None:
    create_key_file(path, generate_key().encode("ascii"))


def reset_cache() -> None:
    """Forget cached keys (after changing CADENZA_HOME or CADENZA_ENCRYPTION_KEY in-process)."""
    _cache.clear()


__all__ = ["decrypt", "encrypt", "generate_key", "key_source", "reset_cache"]
