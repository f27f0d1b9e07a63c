"""Masking secret values in everything the record stores and the console shows (standard library
only: the log handlers and the record writers import this, and so may any plugin).

Every secret value of a block saved or loaded in this process is registered here with
`register`; `mask` replaces each occurrence of a registered value in a text with ``********``.
The record handler and the console echo pass every run log line (and so every ``print``
captured by ``log_prints=True``) through `mask`.

A collection registers the secrets it comes by some other way — a token fetched from a
vault, credentials used before their block is saved — the same way, before they can reach a
log line::

    from cadenza import masking

    token = vault.read("api-token")
    masking.register(token)          # from now on logged as ********

Values shorter than `MIN_LENGTH` (4) characters are not registered: masking every ``"a"`` or
``"42"`` in every log line would mangle the logs and reveal little. Masking is per process: a
worker process knows the secrets of the blocks it unpickles, not the values registered here.
"""

from __future__ import annotations

import re
import threading

MASK = "********"
"""What each occurrence of a registered value is replaced with."""

MIN_LENGTH = 4
"""Values shorter than this many characters are not registered."""

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register(*values: object) -> None:
    """Mask these secret values in run logs from now on, in this process.

    Each value is a ``str``, or ``bytes`` holding UTF-8 text (decoded; other bytes are ignored:
    they cannot appear in a log line as they are). Anything else (None, numbers), and values
    shorter than `MIN_LENGTH` characters, are ignored, so ``register(*secret_values(block))``
    never fails. Registering a value twice is harmless.
    """
    global _pattern
    texts = [v for v in map(_text, values) if v is not None]
    # a secret with surrounding whitespace (a PEM key's final newline) is also masked without
    # it: a printed line loses its end, and a logged message is often stripped
    texts += [v.strip() for v in texts if v.strip() != v]
    new = {v for v in texts if len(v) >= MIN_LENGTH} - _values
    if not new:
        return
    with _lock:
        _values.update(new)
        # longest first, so a secret that contains another is masked whole
        ordered = sorted(_values, key=lambda v: (-len(v), v))
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def any_registered() -> bool:
    """Whether any value is masked (False in most processes: the cheap check before `mask`)."""
    return _pattern is not None


def mask(text: str) -> str:
    """``text`` with every registered secret value replaced by ``********``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def mask_value(value: object) -> object:
    """A JSON-like value (dicts, lists, strings) with `mask` applied to every string in it,
    keys included; the value itself when nothing is registered."""
    if _pattern is None:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask_value(k): mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v) for v in value]
    return value


def registered() -> frozenset[str]:
    """The values currently masked (for tests and diagnostics; never log these)."""
    return frozenset(_values)


def clear() -> None:
    """Forget every registered value (tests)."""
    global _pattern
    with _lock:
        _values.clear()
        _pattern = None


__all__ = [
    "MASK",
    "MIN_LENGTH",
    "any_registered",
    "clear",
    "mask",
    "mask_value",
    "register",
    "registered",
]
