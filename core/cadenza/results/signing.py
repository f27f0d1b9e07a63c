"""The key that signs stored results: ``CADENZA_RESULTS_SIGNING_KEY`` (hex), else the 32 random
bytes kept in ``$CADENZA_HOME/result-signing.key`` (created 0600 on first use).

A missing key file is created only in a home that never signed a result: verifying a result
never creates it, and before signing a new one the home is searched for results signed before
(files in its default result storage, persisted results in its run record). Otherwise the error
(`ResultKeyMissingError`) names the file: restore it, or start over with ``cadenza config new-key``.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path

from cadenza._keyfiles import create_key_file, missing_key, read_key_file
from cadenza.exceptions import ResultKeyMissingError
from cadenza.settings import spec

KEY_FILE = "result-signing.key"
KEY_BYTES = 32
MIN_KEY_BYTES = 16

_cache: dict[tuple[str, str | None], bytes] = {}


def signing_key(needed_by: str | None = None) -> bytes:
    """The signing key for the current settings (cached per home and override).

    `needed_by` names a stored result to verify (e.g. "the result at key 'abc'"): a missing key
    file is then an error, never a new key. `ResultKeyMissingError` too when signing in a home whose
    key file is gone but whose results were signed before."""

    override = spec.get("CADENZA_RESULTS_SIGNING_KEY")
    hex_key = override.get_secret_value() if override is not None else None
    home = spec.home()
    cache_key = (str(home), hex_key)
    key = _cache.get(cache_key)
    if key is None:
        if hex_key is not None:
            key = _from_hex(hex_key)
        else:
            key = _from_file(home / KEY_FILE, needed_by, lambda: _signed_before(home))
        _cache[cache_key] = key
    return key


def key_file() -> Path | None:
    """The key file of the current settings, or None when the override variable is set."""

    if spec.get("CADENZA_RESULTS_SIGNING_KEY") is not None:
        return None
    return spec.home() / KEY_FILE


def create_key(path: Path) -> bool:
    """Create a new key file at `path` (0600); False if one exists (it is kept)."""
    if path.exists():
        return False
    create_key_file(path, secrets.token_bytes(KEY_BYTES))
    return True


def _signed_before(home: Path) -> str | None:
    """What in `home` was signed with its key (looked up only when the key file is missing)."""
    storage = home / "storage"  # LocalFileSystem's default base path
    if storage.is_dir() and any(p.is_file() for p in storage.rglob("*")):
        return f"the results stored under {storage}"
    record = home / "cadenza.db"
    if record.exists() and _lists_results(record):
        return f"the persisted results listed in {record}"
    return None


def _lists_results(record: Path) -> bool:
    try:
        conn = sqlite3.connect(f"{record.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    except sqlite3.Error:
        return False
    try:
        return any(
            conn.execute(f"SELECT 1 FROM {table} WHERE result_ref IS NOT NULL LIMIT 1").fetchone()
            for table in ("task_runs", "flow_runs")
        )
    except sqlite3.Error:  # not a record (yet): nothing was signed for it
        return False
    finally:
        conn.close()


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


def _from_file(
    path: Path,
    needed_by: str | None = None,
    signed_before: Callable[[], str | None] | None = None,
) -> bytes:
    key = read_key_file(path)
    if key is None:
        depends = needed_by
        if depends is None and signed_before is not None:
            depends = signed_before()
        if depends is not None:
            # Another thread or process may have created the key and signed with it between
            # the read above and the search: the key is then there now, and it is the one.
            key = read_key_file(path)
        if key is None and depends is not None:
            raise missing_key(
                path,
                "result signing key",
                depends,
                "CADENZA_RESULTS_SIGNING_KEY",
                "results",
                ResultKeyMissingError,
            )
        if key is None:
            create_key_file(path, secrets.token_bytes(KEY_BYTES))
            key = read_key_file(path) or b""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"The result signing key {path} holds {len(key)} bytes, fewer than {MIN_KEY_BYTES}; "
            "restore it from a backup (results signed with the old key cannot be read without it)"
        )
    return key


def reset_cache() -> None:
    """Forget cached keys (after changing CADENZA_HOME or the override in this process)."""
    _cache.clear()


__all__ = [
    "KEY_BYTES",
    "KEY_FILE",
    "MIN_KEY_BYTES",
    "create_key",
    "key_file",
    "reset_cache",
    "signing_key",
]
