"""The three schedule specifications: cron, interval and rrule (see `cadenza.schedules`)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterator
from typing import Any

from cadenza.schedules._moments import (
    _DAY,
    _DEFAULT_ANCHOR,
    _MARGIN,
    _UTC,
    _as_utc,
    _check_n,
    _collect,
    _localize,
    _zone,
)


@dataclasses.dataclass(frozen=True)
class CronSchedule:
    """Runs at the times a cron expression matches, read in a time zone.

    Evaluated with croniter in the schedule's time zone, so ``0 9 * * *`` with
    ``timezone="America/New_York"`` runs at 09:00 New York time every day, whatever the UTC
    offset; in the hour repeated when clocks go back, croniter matches both occurrences.

    Args:
        cron: A cron expression croniter accepts (five fields, or six with seconds), e.g.
            ``"0 9 * * MON-FRI"``.
        timezone: An IANA time zone name (``"America/New_York"``); None means ``"UTC"``, which
            is what the attribute then holds.
        day_or: True (cron's rule): a day-of-month and a day-of-week field both restricted
            match either. False: they must both match (``"0 9 8-14 * FRI"`` is the second
            Friday).

    Raises:
        ValueError: The expression is not valid cron, or the time zone is unknown.
    """

    cron: str
    timezone: str | None = None
    day_or: bool = True

    def __post_init__(self) -> None:
        _zone(self.timezone)
        object.__setattr__(self, "timezone", self.timezone or "UTC")
        if not isinstance(self.day_or, bool):
            raise ValueError(f"day_or must be a bool, not {self.day_or!r}")
        # lazily: croniter loads only when a cron schedule is built or evaluated
        from croniter import croniter

        if not isinstance(self.cron, str) or not croniter.is_valid(self.cron):
            raise ValueError(f"invalid cron expression {self.cron!r}")

    def next_times(
        self, after: _dt.datetime, *, until: _dt.datetime | None = None, n: int = 100
    ) -> list[_dt.datetime]:
        """The next run times strictly after `after`: at most `n`, none later than `until`,
        timezone-aware in UTC, ascending. A naive `after` or `until` is taken as UTC."""
        _check_n(n)
        start = _as_utc(after, "after")
        end = None if until is None else _as_utc(until, "until")
        if n == 0 or (end is not None and end <= start):
            return []
        # lazily: croniter loads only when a cron schedule is built or evaluated
        from croniter import CroniterBadDateError, croniter

        matches = croniter(self.cron, start.astimezone(_zone(self.timezone)), day_or=self.day_or)

        def candidates() -> Iterator[_dt.datetime]:
            while True:
                try:
                    moment = matches.get_next(_dt.datetime)
                except CroniterBadDateError:  # no date matches (e.g. 30 February)
                    return
                yield moment.astimezone(_UTC)

        return _collect(candidates(), start, end, n, ordered=True)

    def to_dict(self) -> dict[str, Any]:
        """``{"cron": str, "timezone": str, "day_or": bool}``."""
        return {"cron": self.cron, "timezone": self.timezone, "day_or": self.day_or}


@dataclasses.dataclass(frozen=True)
class IntervalSchedule:
    """Runs every `interval`, at the times the anchor date plus a whole number of intervals.

    An interval of whole days keeps the anchor's local wall-clock time in the schedule's time
    zone across daylight saving changes (a daily schedule anchored at 09:00 runs at 09:00
    local every day); any other interval is absolute (every 90 seconds of real time). The
    times extend both ways from the anchor: the anchor need not be in the past.

    Args:
        interval: A positive timedelta, or a number of seconds.
        anchor_date: The time the intervals are counted from. A naive datetime is read in the
            schedule's time zone. Default: 2020-01-01 00:00 in the schedule's time zone.
        timezone: An IANA time zone name. None: the anchor's zone when it is a
            ``zoneinfo.ZoneInfo``, else ``"UTC"``.

    After construction `interval` is a timedelta, `timezone` a name and `anchor_date` an aware
    datetime in that zone.

    Raises:
        ValueError: The interval is not positive, or the time zone is unknown.
    """

    interval: _dt.timedelta | float
    anchor_date: _dt.datetime | None = None
    timezone: str | None = None

    def __post_init__(self) -> None:
        interval: object = self.interval
        if isinstance(interval, bool) or not isinstance(interval, (_dt.timedelta, int, float)):
            raise ValueError(
                f"interval must be a timedelta or a number of seconds, not {interval!r}"
            )
        if not isinstance(interval, _dt.timedelta):
            interval = _dt.timedelta(seconds=interval)
        if interval <= _dt.timedelta(0):
            raise ValueError(f"interval must be positive, not {self.interval!r}")
        object.__setattr__(self, "interval", interval)
        anchor = self.anchor_date
        if anchor is not None and not isinstance(anchor, _dt.datetime):
            raise ValueError(f"anchor_date must be a datetime, not {anchor!r}")
        name = self.timezone
        if name is None:
            key = getattr(anchor.tzinfo, "key", None) if anchor is not None else None
            name = key if isinstance(key, str) else "UTC"
        zone = _zone(name)
        if anchor is None:
            anchor = _DEFAULT_ANCHOR
        if anchor.tzinfo is None or anchor.utcoffset() is None:
            anchor = anchor.replace(tzinfo=zone)
        object.__setattr__(self, "timezone", name)
        object.__setattr__(self, "anchor_date", anchor.astimezone(zone))

    @property
    def _step(self) -> _dt.timedelta:
        """The interval (a timedelta since __post_init__)."""
        assert isinstance(self.interval, _dt.timedelta)
        return self.interval

    @property
    def _calendar(self) -> bool:
        """Whether the interval is whole days, added in local wall-clock time."""
        return self._step % _DAY == _dt.timedelta(0)

    def _time(self, k: int) -> _dt.datetime:
        """The anchor plus `k` intervals, in UTC."""
        anchor = self.anchor_date
        assert anchor is not None  # set in __post_init__
        if self._calendar:
            return _localize(anchor.replace(tzinfo=None) + k * self._step, _zone(self.timezone))
        return anchor.astimezone(_UTC) + k * self._step

    def next_times(
        self, after: _dt.datetime, *, until: _dt.datetime | None = None, n: int = 100
    ) -> list[_dt.datetime]:
        """The next run times strictly after `after`: at most `n`, none later than `until`,
        timezone-aware in UTC, ascending. A naive `after` or `until` is taken as UTC."""
        _check_n(n)
        start = _as_utc(after, "after")
        end = None if until is None else _as_utc(until, "until")
        if n == 0 or (end is not None and end <= start):
            return []
        anchor = self.anchor_date
        assert anchor is not None  # set in __post_init__
        k = (start - anchor) // self._step  # a guess, off by one near DST changes
        while self._time(k) > start:
            k -= 1
        while self._time(k) <= start:
            k += 1

        def candidates() -> Iterator[_dt.datetime]:
            step = k
            while True:
                yield self._time(step)
                step += 1

        return _collect(candidates(), start, end, n, ordered=True)

    def to_dict(self) -> dict[str, Any]:
        """``{"interval": float seconds, "anchor_date": ISO 8601 str, "timezone": str}``."""
        anchor = self.anchor_date
        assert anchor is not None  # set in __post_init__
        return {
            "interval": self._step.total_seconds(),
            "anchor_date": anchor.isoformat(),
            "timezone": self.timezone,
        }


@dataclasses.dataclass(frozen=True)
class RRuleSchedule:
    """Runs at the occurrences of an iCalendar recurrence rule (RFC 5545).

    The rule is read by ``dateutil.rrule.rrulestr``: an ``RRULE`` line (the ``RRULE:`` prefix
    may be left out) or a set of lines (``DTSTART``, ``RRULE``, ``RDATE``, ``EXRULE``,
    ``EXDATE``). A floating ``DTSTART`` (no ``Z``, no ``TZID``) is wall-clock time in the
    schedule's time zone, so ``BYHOUR=9`` stays at 09:00 local time; without a ``DTSTART`` the
    rule starts at 2020-01-01 00:00 in that zone, as Prefect's does. A ``DTSTART`` with ``Z``
    or a ``TZID`` is kept: the rule is then evaluated in that zone, as dateutil does.

    Args:
        rrule: The rule, e.g. ``"FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9"``.
        timezone: An IANA time zone name; None means ``"UTC"``.

    Raises:
        ValueError: dateutil cannot read the rule, or the time zone is unknown.
    """

    rrule: str
    timezone: str | None = None

    def __post_init__(self) -> None:
        _zone(self.timezone)
        object.__setattr__(self, "timezone", self.timezone or "UTC")
        if not isinstance(self.rrule, str) or not self.rrule.strip():
            raise ValueError(f"unparsable rrule {self.rrule!r}: it is empty or not a string")
        self._rule()

    def _rule(self) -> Any:
        """The rule as a dateutil ``rruleset`` (typed Any: dateutil's sets are untyped here)."""
        # lazily: dateutil loads only when an rrule schedule is built or evaluated
        from dateutil.rrule import rrulestr

        try:
            return rrulestr(self.rrule, dtstart=_DEFAULT_ANCHOR, forceset=True, unfold=True)
        except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
            raise ValueError(f"unparsable rrule {self.rrule!r}: {exc}") from exc

    def next_times(
        self, after: _dt.datetime, *, until: _dt.datetime | None = None, n: int = 100
    ) -> list[_dt.datetime]:
        """The next run times strictly after `after`: at most `n`, none later than `until`,
        timezone-aware in UTC, ascending. A naive `after` or `until` is taken as UTC."""
        _check_n(n)
        start = _as_utc(after, "after")
        end = None if until is None else _as_utc(until, "until")
        if n == 0 or (end is not None and end <= start):
            return []
        zone = _zone(self.timezone)
        rule = self._rule()
        first = next(iter(rule), None)
        if first is None:
            return []
        floating = first.tzinfo is None
        # read from a margin before `after`: wall-clock times near a daylight saving change
        # may land before or after their neighbours once in UTC
        begin = start - _MARGIN
        begin = begin.astimezone(zone).replace(tzinfo=None) if floating else begin

        def candidates() -> Iterator[_dt.datetime]:
            for moment in rule.xafter(begin, inc=True):
                yield _localize(moment, zone) if floating else moment.astimezone(_UTC)

        try:
            return _collect(candidates(), start, end, n, ordered=False)
        except TypeError as exc:  # naive and aware parts mixed in one set
            raise ValueError(f"unparsable rrule {self.rrule!r}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """``{"rrule": str, "timezone": str}``."""
        return {"rrule": self.rrule, "timezone": self.timezone}


ScheduleSpec = CronSchedule | IntervalSchedule | RRuleSchedule
"""One of the three schedule specifications."""

__all__ = ["CronSchedule", "IntervalSchedule", "RRuleSchedule", "ScheduleSpec"]
