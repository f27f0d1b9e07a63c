"""The key that signs stored results: ``CADENZA_RESULTS_SIGNING_KEY`` (hex), else the 32 random
bytes kept in ``$CADENZA_HOME/result-signing.key`` (created 0600 on first use)."""

from __future__ import annotations

import secrets
from pathlib import Path

from cadenza._keyfiles import create_key_file

KEY_FILE = "result-signing.key"
KEY_BYTES = 32
MIN_KEY_BYTES = 16

_cache: dict[tuple[str, str | None], bytes] = {}


def signing_key() -> bytes:
    """The signing key for the current settings (cached per home and override)."""
    from cadenza.settings import spec

    override = spec.get("CADENZA_RESULTS_SIGNING_KEY")
    hex_key = override.get_secret_value() if override is not None else None
    home = spec.home()
    cache_key = (str(home), hex_key)
    key = _cache.get(cache_key)
    if key is None:
        key = _from_hex(hex_key) if hex_key is not None else _from_file(home / KEY_FILE)
        _cache[cache_key] = key
    return key


def _from_hex(hex_key: str) -> bytes:
    try:
        key = bytes.fromhex(hex_key.strip())
    except ValueError:
        raise ValueError("CADENZA_RESULTS_SIGNING_KEY must be a hex string") from None
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"CADENZA_RESULTS_SIGNING_KEY must be at least {MIN_KEY_BYTES} bytes "
            f"({2 * MIN_KEY_BYTES} hex digits), got {len(key)}"
        )
    return key


def _from_file(path: Path) -> bytes:
    if not path.exists():
        _create(path)
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"The result signing key {path} holds {len(key)} bytes, fewer than {MIN_KEY_BYTES}; "
            "restore it from a backup (results signed with the old key cannot be read without it)"
        )
    return key


def _create(path: Path) -> None:
    create_key_file(path, secrets.token_bytes(KEY_BYTES))


def reset_cache() -> None:
    """Forget cached keys (after changing CADENZA_HOME or the override in this process)."""
    _cache.clear()
