"""Prefect's schedule classes at Prefect's path (``prefect.client.schemas.schedules``): the
schedules of `cadenza.schedules`, which deployments take (``schedules=[CronSchedule(cron="0 9 *
* *")]``) and the client returns."""

from __future__ import annotations

from cadenza.schedules import CronSchedule, IntervalSchedule, RRuleSchedule, construct_schedule

__all__ = ["CronSchedule", "IntervalSchedule", "RRuleSchedule", "construct_schedule"]
