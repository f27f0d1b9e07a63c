"""The key that encrypts blocks' secret fields at rest (Fernet, from ``cryptography``).

The key is ``CADENZA_ENCRYPTION_KEY`` (a Fernet key: 32 url-safe base64-encoded bytes, as
``cadenza.blocks.crypto.generate_key()`` or ``Fernet.generate_key()`` makes), else the key kept
in ``$CADENZA_HOME/key``, created with mode 0600 on first use (race-safe: two processes
creating it at once agree on one key). The key is never stored in the database.

A missing key file is created only when nothing needs the old one: decrypting a secret never
creates it, and a store about to seal new secrets first shows, through `check_key`, whether
it holds secrets sealed before. Either way the error (`BlockKeyMissingError`) names the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cadenza._keyfiles import create_key_file, missing_key, read_key_file
from cadenza.blocks.exceptions import BlockDecryptionError, BlockKeyMissingError
from cadenza.settings import spec

KEY_FILE = "key"

_cache: dict[tuple[str, str | None], tuple[Any, str]] = {}


def generate_key() -> str:
    """A new random Fernet key, as text."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def key_file() -> Path | None:
    """The key file of the current settings, or None when ``CADENZA_ENCRYPTION_KEY`` is set."""

    if spec.get("CADENZA_ENCRYPTION_KEY") is not None:
        return None
    return spec.home() / KEY_FILE


def check_key(sealed_before: Callable[[], str | None]) -> None:
    """Before sealing new secrets: if the key file is missing, ``sealed_before()`` names what
    was sealed with the lost key (e.g. "block 'secret/db'"), or None if nothing was; raise
    `BlockKeyMissingError` in the first case rather than let `encrypt` start a new key."""
    path = key_file()
    if path is None or path.exists():
        return
    depends = sealed_before()
    if depends is not None:
        raise _missing(path, depends)


def _fernet(needed_by: str | None = None) -> tuple[Any, str]:
    """The Fernet for the current settings and a description of where its key comes from.

    `needed_by` names the sealed data the key is wanted for: a missing key file is then an
    error instead of a new key."""

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
        key = _from_file(path, needed_by)
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

    fernet, source = _fernet(needed_by=what)
    try:
        return fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, TypeError, UnicodeError):
        raise BlockDecryptionError(
            f"Cannot decrypt the secret fields of {what}: the encryption key (from {source}) does "
            "not match the key it was saved with. Set CADENZA_ENCRYPTION_KEY (or restore "
            "$CADENZA_HOME/key) to the original key, or save the block again."
        ) from None


def _from_file(path: Path, needed_by: str | None = None) -> bytes:
    key = read_key_file(path)
    if key is None:
        if needed_by is not None:
            raise _missing(path, needed_by)
        create_key_file(path, generate_key().encode("ascii"))
        key = read_key_file(path) or b""
    return key.strip()


def create_key(path: Path) -> bool:
    """Create a new key file at `path` (0600); False if one exists (it is kept)."""
    if path.exists():
        return False
    create_key_file(path, generate_key().encode("ascii"))
    return True


def _missing(path: Path, depends: str) -> BlockKeyMissingError:
    return missing_key(
        path,
        "block encryption key",
        depends,
        "CADENZA_ENCRYPTION_KEY",
        "blocks",
        BlockKeyMissingError,
    )


def reset_cache() -> None:
    """Forget cached keys (after changing CADENZA_HOME or CADENZA_ENCRYPTION_KEY in-process)."""
    _cache.clear()


__all__ = [
    "check_key",
    "create_key",
    "decrypt",
    "encrypt",
    "generate_key",
    "key_file",
    "key_source",
    "reset_cache",
]
