"""Query parameters of the read routes that take free text or a time, checked before any SQL.

A text parameter (a search, a flow name, a tag) is at most `MAX_QUERY_TEXT` characters (else
FastAPI's own 422) and holds no NUL or lone surrogate (`Refused`, 422): PostgreSQL cannot take
either as a parameter, and no stored text holds them (they are escaped on the way in). A time is
epoch seconds or ISO 8601 (`cadenza.server.run_routes.epoch`), finite and within years 0-9999.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Query

from cadenza.server.errors import Refused

MAX_QUERY_TEXT = 1_000
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LATEST = 253_402_300_799.0  # 9999-12-31T23:59:59Z

SearchText = Annotated[
    str | None,
    Query(max_length=MAX_QUERY_TEXT, description="case-insensitive substring"),
]


def unstorable(value: str) -> bool:
    """Whether `value` holds NUL or a lone surrogate."""
    return _UNSTORABLE.search(value) is not None


def text(name: str, value: str | None) -> str | None:
    """`value` unless it holds NUL or a lone surrogate (`Refused` naming query parameter `name`)."""
    if value is not None and unstorable(value):
        raise Refused([(("query", name), "must not contain NUL or lone surrogates")])
    return value


def texts(name: str, values: Sequence[str]) -> list[str]:
    """Each of `values` checked as `text`; a longer one than `MAX_QUERY_TEXT` is refused too."""
    for value in values:
        text(name, value)
        if len(value) > MAX_QUERY_TEXT:
            raise Refused([(("query", name), f"at most {MAX_QUERY_TEXT} characters")])
    return list(values)


def moment(name: str, value: str | None) -> float | None:
    """Epoch seconds from a number or an ISO 8601 time (naive means UTC), within years 0-9999;
    `Refused` naming `name` for anything else (NaN, infinities, words)."""
    if value is None:
        return None
    text(name, value)
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Refused(
                [(("query", name), "must be epoch seconds or an ISO 8601 time")]
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp()
    if not math.isfinite(seconds) or not -62_135_596_800 <= seconds <= _LATEST:
        raise Refused([(("query", name), "must be a time between the years 1 and 9999")])
    return seconds


__all__ = ["MAX_QUERY_TEXT", "SearchText", "moment", "text", "texts", "unstorable"]
