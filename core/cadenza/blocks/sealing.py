"""Secret values inside a block's stored data: open, sealed and masked forms.

A block's data (`cadenza.blocks.stored.to_stored`) is JSON in which each secret field's value is
an object marked with `SECRET_MARKER`:

open   ``{"$cadenza-secret": kind, "value": "clear text"}`` — what a client hands to a store;
sealed ``{"$cadenza-secret": kind, "token": "<Fernet token>"}`` — what a database holds;
masked ``{"$cadenza-secret": kind, "masked": true}`` — what a reader gets without the right to
       see secrets.

The store that writes the database seals (the embedded record with the local key, the server
with its own key), so a secret is only ever encrypted by the process that owns the database.
``kind`` (``str``, ``bytes``, ``dict``, ``json``) says how to rebuild the value. A masked
secret written back (`keep_masked`) keeps the value saved at the same place.
"""

from __future__ import annotations

from typing import Any

from cadenza.blocks.crypto import decrypt, encrypt

SECRET_MARKER = "$cadenza-secret"
"""Key of the JSON object that stands for a secret in a block's data."""


def _map(data: Any, leaf: Any) -> Any:
    if isinstance(data, dict):
        if SECRET_MARKER in data:
            return leaf(data)
        return {k: _map(v, leaf) for k, v in data.items()}
    if isinstance(data, list):
        return [_map(v, leaf) for v in data]
    return data


def seal(data: Any) -> Any:
    """``data`` with every open secret encrypted with the current key (sealed ones kept)."""

    def leaf(secret: dict) -> dict:
        if "value" not in secret:
            if "token" in secret:
                return secret
            raise ValueError("a secret in the block's data has neither a value nor a token")
        if not isinstance(secret["value"], str):
            raise ValueError("a secret's value must be text")
        return {SECRET_MARKER: secret[SECRET_MARKER], "token": encrypt(secret["value"])}

    return _map(data, leaf)


def unseal(data: Any, what: str) -> Any:
    """``data`` with every sealed secret decrypted to the open form; `BlockDecryptionError`
    naming ``what`` if the key does not match."""

    def leaf(secret: dict) -> dict:
        if "token" not in secret:
            return secret
        return {SECRET_MARKER: secret[SECRET_MARKER], "value": decrypt(secret["token"], what)}

    return _map(data, leaf)


def mask(data: Any) -> Any:
    """``data`` with every secret replaced by the masked form (nothing is decrypted)."""
    return _map(data, lambda secret: {SECRET_MARKER: secret[SECRET_MARKER], "masked": True})


def has_secrets(data: Any) -> bool:
    """True if ``data`` holds any secret (open, sealed or masked)."""
    found = False

    def leaf(secret: dict) -> dict:
        nonlocal found
        found = True
        return secret

    _map(data, leaf)
    return found


def is_sealed(data: Any) -> bool:
    """True if ``data`` holds a sealed secret (one encrypted with some key)."""
    found = False

    def leaf(secret: dict) -> dict:
        nonlocal found
        found = found or "token" in secret
        return secret

    _map(data, leaf)
    return found


SEALED_PATTERN = f'%"{SECRET_MARKER}":%"token":%'
"""A SQL LIKE pattern matching the stored JSON text of every block with a sealed secret (and
perhaps a few without: check each with `sealed_names`)."""


def sealed_names(rows: Any, limit: int | None = None) -> list[str]:
    """Of ``(type_slug, name, data JSON text)`` rows, the blocks holding sealed secrets, as
    "block 'slug/name'", at most `limit`."""
    import json

    found = []
    for slug, name, data in rows:
        if is_sealed(json.loads(data)):
            found.append(f"block '{slug}/{name}'")
            if len(found) == limit:
                break
    return found


def is_masked(data: Any) -> bool:
    """True if any secret in ``data`` is masked (such data cannot rebuild a block)."""
    found = False

    def leaf(secret: dict) -> dict:
        nonlocal found
        found = found or bool(secret.get("masked"))
        return secret

    _map(data, leaf)
    return found


class MaskedSecretError(ValueError):
    """A masked secret stands where the stored block has no secret to keep; ``path`` is where
    (keys and list indexes under the block's data), ``reason`` the message without it."""

    reason = (
        "a masked secret keeps the saved value, but the saved block has no secret here; give "
        "the value"
    )

    def __init__(self, path: tuple[str | int, ...]) -> None:
        where = ".".join(str(p) for p in path) or "(data)"
        super().__init__(f"{where}: {self.reason}")
        self.path = path


def keep_masked(data: Any, stored: Any) -> Any:
    """``data`` with each masked secret replaced by the secret at the same place in ``stored``
    (the block as saved, sealed or open), so that data read with its secrets masked can be
    written back without losing them. `MaskedSecretError` naming the place if ``stored`` has no
    secret of the same kind there."""
    return _keep(data, stored, ())


def _keep(data: Any, stored: Any, path: tuple[str | int, ...]) -> Any:
    if isinstance(data, dict):
        if SECRET_MARKER in data:
            if not data.get("masked"):
                return data
            if (
                isinstance(stored, dict)
                and stored.get(SECRET_MARKER) == data[SECRET_MARKER]
                and ("token" in stored or "value" in stored)
            ):
                return stored
            raise MaskedSecretError(path)
        below = stored if isinstance(stored, dict) and SECRET_MARKER not in stored else {}
        return {k: _keep(v, below.get(k), (*path, k)) for k, v in data.items()}
    if isinstance(data, list):
        below = stored if isinstance(stored, list) else []
        padded = [*below, *([None] * (len(data) - len(below)))]
        return [_keep(v, padded[i], (*path, i)) for i, v in enumerate(data)]
    return data


__all__ = [
    "SECRET_MARKER",
    "MaskedSecretError",
    "has_secrets",
    "is_masked",
    "is_sealed",
    "keep_masked",
    "mask",
    "seal",
    "unseal",
]
