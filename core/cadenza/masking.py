"""Masking secret values in everything the record stores and the console shows (standard library
only: the log handlers and the record writers import this).

Every secret value of a block saved or loaded in this process is registered here with
`register`; `mask` replaces each occurrence of a registered value in a text with ``********``.
The record handler and the console echo pass every run log line (and so every ``print``
captured by ``log_prints=True``) through `mask`.

Values shorter than `MIN_LENGTH` (4) characters are not registered: masking every ``"a"`` or
``"42"`` in every log line would mangle the logs and reveal little.
"""

from __future__ import annotations

import re
import threading

MASK = "********"
MIN_LENGTH = 4

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register(*values: object) -> None:
    """Mask these values from now on in this process (strings shorter than 4 are ignored)."""
    global _pattern
    new = {v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH} - _values
    if not new:
        return
    with _lock:
        _values.update(new)
        # longest first, so a secret that contains another is masked whole
        ordered = sorted(_values, key=lambda v: (-len(v), v))
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


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


__all__ = ["MASK", "MIN_LENGTH", "clear", "mask", "mask_value", "register", "registered"]
