"""Time arithmetic shared by the schedule kinds: time zones, UTC, wall-clock times."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

_UTC = _dt.timezone.utc
_DAY = _dt.timedelta(days=1)
# The anchor of an interval schedule without one, and the DTSTART of an rrule without one (as
# Prefect's), in the schedule's time zone.
_DEFAULT_ANCHOR = _dt.datetime(2020, 1, 1)
# How far around a bound rrule candidates are read: more than any UTC offset change, so that
# wall-clock times moved by a daylight saving change are not missed.
_MARGIN = _dt.timedelta(days=1)


def _zone(name: str | None) -> ZoneInfo:
    """The time zone called `name` (None: UTC), or a ValueError naming it."""
    if name is None:
        name = "UTC"
    if not isinstance(name, str) or not name:
        raise ValueError(f"unknown time zone {name!r}: give an IANA name such as 'Europe/Paris'")
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(
            f"unknown time zone {name!r}: give an IANA name such as 'Europe/Paris'"
        ) from exc


def _as_utc(moment: _dt.datetime, what: str) -> _dt.datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if not isinstance(moment, _dt.datetime):
        raise TypeError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC)


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, not {n!r}")


def _localize(wall: _dt.datetime, zone: ZoneInfo) -> _dt.datetime:
    """A naive wall-clock time in `zone`, in UTC (an ambiguous time is its first occurrence; a
    time skipped by a daylight saving change lands as far past the change as it was into it)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(_UTC)


def _collect(
    candidates: Iterator[_dt.datetime],
    after: _dt.datetime,
    until: _dt.datetime | None,
    n: int,
    *,
    ordered: bool,
) -> list[_dt.datetime]:
    """At most `n` distinct UTC times from `candidates`, strictly after `after` and not after
    `until`, ascending. `ordered` says the candidates ascend; otherwise they ascend but for
    shifts smaller than ``_MARGIN`` (wall-clock times near daylight saving changes), so reading
    stops only a margin past the last time needed."""
    found: set[_dt.datetime] = set()
    margin = _dt.timedelta(0) if ordered else _MARGIN
    for moment in candidates:
        if until is not None and moment > until + margin:
            break
        if len(found) >= n and moment > max(found) + margin:
            break
        if moment <= after or (until is not None and moment > until):
            continue
        found.add(moment)
        if len(found) > n:
            found.remove(max(found))
    return sorted(found)[:n]


__all__: list[str] = []  # private to cadenza.schedules
