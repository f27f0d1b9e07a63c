"""What a concurrency limit's values may be: its name, its number of slots, its slot decay.

Checked where a value enters — the store, the server's request models, the Python API before it
sends a name to a server — so each refusal is the same ValueError naming the rule broken.
Standard library only: the Python API checks names without importing SQLAlchemy or httpx.
"""

from __future__ import annotations

import math
import re

MAX_NAME = 200
MAX_SLOTS = 2**31 - 1
MAX_DECAY = 1_000_000.0
_BANNED = re.compile("[/%&<>\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def check_name(name: object) -> str:
    """`name` if it can name a limit: 1 to 200 characters, none of ``/ % & < >`` (as Prefect),
    no control characters and no lone surrogates; else ValueError saying which rule it breaks."""
    if not isinstance(name, str):
        raise ValueError(f"a concurrency limit's name must be a string, not {type(name).__name__}")
    if not name:
        raise ValueError("a concurrency limit's name must not be empty")
    if len(name) > MAX_NAME:
        raise ValueError(
            f"a concurrency limit's name is {len(name):,} characters long; at most {MAX_NAME}"
        )
    bad = _BANNED.search(name)
    if bad is not None:
        char = bad.group()
        if char in "/%&<>":
            what = repr(char)
        elif "\ud800" <= char <= "\udfff":
            what = f"a lone surrogate (U+{ord(char):04X})"
        else:
            what = f"a control character (U+{ord(char):04X})"
        raise ValueError(f"a concurrency limit's name must not contain {what}")
    return name


def check_slot_limit(value: object) -> int:
    """`value` if it is a whole number of slots from 0 to 2**31 - 1; else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        kind = type(value).__name__
        raise ValueError(f"a concurrency limit must be a whole number, not a {kind}")
    if not 0 <= value <= MAX_SLOTS:
        raise ValueError(f"a concurrency limit must be from 0 to {MAX_SLOTS}, not {value}")
    return value


def check_decay(value: object) -> float:
    """`value` as slots freed per second: a finite number from 0 to 1,000,000; else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"slot_decay_per_second must be a number, not a {type(value).__name__}")
    if not (math.isfinite(value) and 0 <= value <= MAX_DECAY):
        raise ValueError(f"slot_decay_per_second must be from 0 to {MAX_DECAY:,.0f}, not {value!r}")
    return float(value)


__all__ = ["MAX_DECAY", "MAX_NAME", "MAX_SLOTS", "check_decay", "check_name", "check_slot_limit"]
