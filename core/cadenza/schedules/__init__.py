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

from cadenza.schedules.kinds import CronSchedule, IntervalSchedule, RRuleSchedule, ScheduleSpec
from cadenza.schedules.specs import (
    Cron,
    Interval,
    RRule,
    Schedule,
    construct_schedule,
    schedule_from_dict,
    schedule_to_dict,
)

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
