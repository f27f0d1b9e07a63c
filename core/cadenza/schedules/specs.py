"""Building schedules: from keyword arguments, from their JSON shapes, and Prefect 3's
`Schedule` wrapper with `Cron`, `Interval` and `RRule` (see `cadenza.schedules`)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
from collections.abc import Mapping
from typing import Any

from cadenza.schedules.kinds import CronSchedule, IntervalSchedule, RRuleSchedule, ScheduleSpec


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


__all__ = [
    "Cron",
    "Interval",
    "RRule",
    "Schedule",
    "construct_schedule",
    "schedule_from_dict",
    "schedule_to_dict",
]
