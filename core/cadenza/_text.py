"""Text the record can store: valid UTF-8, no NUL, bounded length (standard library only).

Python strings may hold what no database or JSON body can carry as text: lone surrogates
(``os.fsdecode(b"caf\\xe9.csv")`` gives ``"caf\\udce9.csv"``, common for file names) and NUL
characters (PostgreSQL refuses them in text). `storable` turns such a string into one that every
store accepts, losslessly where it can:

- a surrogate made by ``surrogateescape`` (U+DC80..U+DCFF, one undecodable byte) becomes
  ``\\xNN``, the byte it stands for, so ``"caf\\udce9.csv"`` is recorded as ``caf\\xe9.csv``;
- any other lone surrogate becomes ``\\uNNNN``; NUL becomes ``\\x00``;
- text longer than `MAX_TEXT` characters is cut there and ends with a marker giving the
  original length (never dropped).

Strings that need none of this (nearly all) are returned as they are, after one fast check.
"""

from __future__ import annotations

import re

MAX_TEXT = 1_000_000
"""Characters kept of one text field (a log message, a state message); the rest is cut."""

_BAD = re.compile("[\x00\ud800-\udfff]")


def _replace(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0 or 0xDC80 <= code <= 0xDCFF:  # NUL, or one undecodable byte
        return f"\\x{code & 0xFF:02x}"
    return f"\\u{code:04x}"


def storable(text: str, limit: int = MAX_TEXT) -> str:
    """`text` as every store accepts it (see the module docstring)."""
    if not text.isascii() or "\x00" in text:
        text = _BAD.sub(_replace, text)
    if len(text) > limit:
        text = truncate(text, limit)
    return text


def truncate(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to `limit` characters, marker included, when longer."""
    if len(text) <= limit:
        return text
    marker = f"... [truncated by cadenza: {len(text):,} characters in all]"
    return text[: max(0, limit - len(marker))] + marker


def needs_cleaning(text: str) -> bool:
    """Whether `storable` would change `text`."""
    return len(text) > MAX_TEXT or _BAD.search(text) is not None


def storable_value(value: object) -> object:
    """A JSON-like value (dicts, lists, strings, numbers) with every string, keys included,
    made `storable`; other values are returned as they are."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {
            (storable(k) if isinstance(k, str) else k): storable_value(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [storable_value(v) for v in value]
    return value


__all__ = ["MAX_TEXT", "needs_cleaning", "storable", "storable_value", "truncate"]
