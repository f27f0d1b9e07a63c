"""Schedules for deployments: when a flow should run, with Prefect 3's names.

Three specifications say *when*:

- [`CronSchedule`][cadenza.schedules.CronSchedule]: a cron expression, evaluated in a time zone
  (with croniter, which keeps ``0 9 * * *`` at 09:00 local time across daylight saving changes);
- [`IntervalSchedule`][cadenza.schedules.IntervalSchedule]: every ``interval`` from an anchor
  date (intervals of whole days keep the local wall-clock time across daylight saving changes,
  shorter or fractional ones are absolute);
- [`RRuleSchedule`][cadenza.schedules.RRuleSchedule]: an iCalendar recurrence rule (RFC 5545),
  as ``dateutil.rrule.rrulestr`` reads it.

[`construct_schedule`][cadenza.schedules.construct_schedule] builds one of them from keyword
arguments, as Prefect's does. Prefect 3's newer wrapper,
[`Schedule`][cadenza.schedules.Schedule] (made by [`Cron`][cadenza.schedules.Cron],
[`Interval`][cadenza.schedules.Interval] and [`RRule`][cadenza.schedules.RRule]), adds whether
the schedule is active, parameter overrides and a slug; its ``spec`` is the specification.

Every schedule answers ``next_times(after, until=..., n=...)``: the next run times strictly
after ``after``, as timezone-aware UTC datetimes in ascending order.

The JSON shapes ([`schedule_to_dict`][cadenza.schedules.schedule_to_dict] and
[`schedule_from_dict`][cadenza.schedules.schedule_from_dict]):

- ``{"cron": "0 9 * * *", "timezone": "America/New_York", "day_or": true}``
- ``{"interval": 90.0, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "UTC"}``
  (seconds, and an ISO 8601 anchor)
- ``{"rrule": "FREQ=WEEKLY;BYDAY=MO,WE", "timezone": "UTC"}``

This module imports only the standard library when it is imported; croniter and dateutil are
imported when a schedule that needs them is built or evaluated.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "Cron",
    "CronSchedule",
    "Interval",
    "IntervalSchedule",
    "RRule",
    "RRuleSchedule",
    "Schedule",
    "ScheduleSpec",
    "construct_schedule",
    "schedule_from_dict",
    "schedule_to_dict",
]

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


def construct_schedule(
    interval: _dt.timedelta | float | None = None,
    anchor_date: _dt.datetime | str | None = None,
    cron: str | None = None,
    rrule: str | None = None,
    timezone: str | None = None,
) -> ScheduleSpec:
    """Build the schedule the arguments describe, as Prefect's ``construct_schedule``.

    Args:
        interval: Run every this often: a timedelta or a number of seconds.
        anchor_date: The anchor of an interval schedule (a datetime or an ISO 8601 string).
        cron: A cron expression.
        rrule: An iCalendar recurrence rule.
        timezone: The IANA time zone the schedule is evaluated in (default UTC).

    Returns:
        An `IntervalSchedule`, `CronSchedule` or `RRuleSchedule`.

    Raises:
        ValueError: Not exactly one of `interval`, `cron` and `rrule` is given, `anchor_date`
            is given without `interval`, or a value is invalid.
    """
    kinds = (("interval", interval), ("cron", cron), ("rrule", rrule))
    given = [name for name, value in kinds if value is not None]
    if len(given) > 1:
        raise ValueError(f"give only one of interval, cron or rrule, not {' and '.join(given)}")
    if not given:
        raise ValueError("give one of interval, cron or rrule")
    if anchor_date is not None and interval is None:
        raise ValueError(f"anchor_date {anchor_date!r} is only for an interval schedule")
    if isinstance(anchor_date, str):
        anchor_date = _parse_datetime(anchor_date, "anchor_date")
    if interval is not None:
        return IntervalSchedule(interval, anchor_date, timezone)
    if cron is not None:
        return CronSchedule(cron, timezone)
    assert rrule is not None
    return RRuleSchedule(rrule, timezone)


def _parse_datetime(text: str, what: str) -> _dt.datetime:
    try:
        # Python 3.10's fromisoformat does not read a trailing "Z"
        return _dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError as exc:
        raise ValueError(f"{what} {text!r} is not an ISO 8601 datetime") from exc


def schedule_to_dict(schedule: ScheduleSpec) -> dict[str, Any]:
    """The JSON-ready shape of a schedule (see the module's description)."""
    if not isinstance(schedule, (CronSchedule, IntervalSchedule, RRuleSchedule)):
        raise TypeError(
            f"expected a CronSchedule, IntervalSchedule or RRuleSchedule, "
            f"not {type(schedule).__name__}"
        )
    return schedule.to_dict()


_SHAPES: dict[frozenset[str], tuple[frozenset[str], type[Any]]] = {
    frozenset({"cron"}): (frozenset({"cron", "timezone", "day_or"}), CronSchedule),
    frozenset({"interval"}): (
        frozenset({"interval", "anchor_date", "timezone"}),
        IntervalSchedule,
    ),
    frozenset({"rrule"}): (frozenset({"rrule", "timezone"}), RRuleSchedule),
}


def schedule_from_dict(data: Mapping[str, Any]) -> ScheduleSpec:
    """The schedule a shape of [`schedule_to_dict`][cadenza.schedules.schedule_to_dict]
    describes (optional keys may be left out).

    Raises:
        ValueError: The keys are not one of the three shapes (the message names them), or a
            value is invalid.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"a schedule is a mapping, not {type(data).__name__}")
    keys = frozenset(data)
    kinds = [kind for kind in _SHAPES if kind <= keys]
    if len(kinds) != 1 or not keys <= _SHAPES[kinds[0]][0]:
        raise ValueError(
            f"not a schedule: keys {sorted(keys)}; expected "
            "{cron, timezone, day_or}, {interval, anchor_date, timezone} or {rrule, timezone}"
        )
    values = dict(data)
    if "interval" in values:
        if isinstance(values.get("anchor_date"), str):
            values["anchor_date"] = _parse_datetime(values["anchor_date"], "anchor_date")
        if isinstance(values["interval"], (int, float)) and not isinstance(
            values["interval"], bool
        ):
            values["interval"] = _dt.timedelta(seconds=values["interval"])
        return IntervalSchedule(**values)
    if "cron" in values:
        return CronSchedule(**values)
    return RRuleSchedule(**values)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A deployment's schedule, as Prefect 3's ``prefect.schedules.Schedule``: what `spec`
    says (exactly one of `cron`, `interval` and `rrule`), whether it is active, parameter
    overrides for its runs, and a slug. Usually made by `Cron`, `Interval` or `RRule`.

    Unlike Prefect's, `anchor_date` defaults to None, which is the `IntervalSchedule` default
    (2020-01-01 00:00 in the time zone) rather than the time the schedule was built, so the
    same schedule gives the same times wherever it is built.

    Attributes:
        interval: Run every this often (a timedelta).
        cron: A cron expression.
        rrule: An iCalendar recurrence rule.
        timezone: The IANA time zone the schedule is evaluated in (None: UTC, or the anchor's).
        anchor_date: The anchor of an interval schedule.
        day_or: For a cron schedule: day-of-month and day-of-week restrictions match either
            (True) or both (False).
        active: Whether the schedule creates runs.
        parameters: Parameter overrides for the runs it creates.
        slug: A name unique among the deployment's schedules.

    Raises:
        ValueError: Not exactly one of `interval`, `cron` and `rrule` is given, an option is
            given that the kind does not take, or a value is invalid.
    """

    interval: _dt.timedelta | None = None
    cron: str | None = None
    rrule: str | None = None
    timezone: str | None = None
    anchor_date: _dt.datetime | None = None
    day_or: bool = True
    active: bool = True
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    slug: str | None = None

    def __post_init__(self) -> None:
        given = [kind for kind in ("interval", "cron", "rrule") if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(
                "a schedule has exactly one of interval, cron or rrule, "
                f"not {' and '.join(given) or 'none'}"
            )
        if self.anchor_date is not None and self.interval is None:
            raise ValueError(f"anchor_date {self.anchor_date!r} is only for an interval schedule")
        if not isinstance(self.parameters, dict):
            raise ValueError(f"parameters must be a dict, not {self.parameters!r}")
        self.spec  # noqa: B018  # validates now: a bad schedule fails where it is written

    @functools.cached_property
    def spec(self) -> ScheduleSpec:
        """The `CronSchedule`, `IntervalSchedule` or `RRuleSchedule` this schedule describes."""
        if self.cron is not None:
            return CronSchedule(self.cron, self.timezone, self.day_or)
        if self.rrule is not None:
            return RRuleSchedule(self.rrule, self.timezone)
        assert self.interval is not None
        return IntervalSchedule(self.interval, self.anchor_date, self.timezone)

    def next_times(
        self, after: _dt.datetime, *, until: _dt.datetime | None = None, n: int = 100
    ) -> list[_dt.datetime]:
        """The next run times of `spec` (see its ``next_times``), whether or not the schedule
        is active."""
        return self.spec.next_times(after, until=until, n=n)


def Cron(  # Prefect's name
    cron: str,
    /,
    timezone: str | None = None,
    day_or: bool = True,
    active: bool = True,
    parameters: dict[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """A cron `Schedule`, as Prefect's ``Cron``: ``Cron("0 9 * * MON-FRI", timezone=...)``.

    Args:
        cron: A cron expression.
        timezone: An IANA time zone name (default UTC).
        day_or: Day-of-month and day-of-week restrictions match either (True) or both (False).
        active: Whether the schedule creates runs.
        parameters: Parameter overrides for its runs.
        slug: A name unique among the deployment's schedules.
    """
    return Schedule(
        cron=cron,
        timezone=timezone,
        day_or=day_or,
        active=active,
        parameters={} if parameters is None else parameters,
        slug=slug,
    )


def Interval(  # Prefect's name
    interval: _dt.timedelta | float,
    /,
    anchor_date: _dt.datetime | None = None,
    timezone: str | None = None,
    active: bool = True,
    parameters: dict[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """An interval `Schedule`, as Prefect's ``Interval``: ``Interval(timedelta(hours=1))``.

    Args:
        interval: A timedelta, or a number of seconds.
        anchor_date: The anchor (default 2020-01-01 00:00 in the time zone; Prefect's is now).
        timezone: An IANA time zone name (default the anchor's, else UTC).
        active: Whether the schedule creates runs.
        parameters: Parameter overrides for its runs.
        slug: A name unique among the deployment's schedules.
    """
    if isinstance(interval, bool):
        raise ValueError(f"interval must be a timedelta or a number of seconds, not {interval!r}")
    if not isinstance(interval, _dt.timedelta):
        interval = _dt.timedelta(seconds=interval)
    return Schedule(
        interval=interval,
        anchor_date=anchor_date,
        timezone=timezone,
        active=active,
        parameters={} if parameters is None else parameters,
        slug=slug,
    )


def RRule(  # Prefect's name
    rrule: str,
    /,
    timezone: str | None = None,
    active: bool = True,
    parameters: dict[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """An rrule `Schedule`, as Prefect's ``RRule``: ``RRule("FREQ=WEEKLY;BYDAY=MO,WE")``.

    Args:
        rrule: An iCalendar recurrence rule.
        timezone: An IANA time zone name (default UTC).
        active: Whether the schedule creates runs.
        parameters: Parameter overrides for its runs.
        slug: A name unique among the deployment's schedules.
    """
    return Schedule(
        rrule=rrule,
        timezone=timezone,
        active=active,
        parameters={} if parameters is None else parameters,
        slug=slug,
    )
