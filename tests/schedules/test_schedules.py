"""cadenza.schedules: Prefect 3's schedules, their next run times (in time zones, across daylight
saving changes), their JSON shapes, and the errors bad input gets."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from cadenza.schedules import (
    Cron,
    CronSchedule,
    Interval,
    IntervalSchedule,
    RRule,
    RRuleSchedule,
    Schedule,
    construct_schedule,
    schedule_from_dict,
    schedule_to_dict,
)

UTC = timezone.utc
NY = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours(times: list[datetime]) -> list[str]:
    return [t.strftime("%m-%d %H:%M") for t in times]


def assert_utc_ascending(times: list[datetime]) -> None:
    assert all(t.tzinfo is UTC for t in times)
    assert times == sorted(set(times))


# -- cron -----------------------------------------------------------------------------------------


def test_cron_every_minute_runs_each_utc_minute_through_both_dst_changes() -> None:
    every_minute = CronSchedule("* * * * *", NY)
    # 2026-03-08 02:00 EST -> 03:00 EDT is 07:00 UTC
    spring = every_minute.next_times(utc(2026, 3, 8, 6, 57), n=6)
    assert spring == [utc(2026, 3, 8, 6, 58) + timedelta(minutes=i) for i in range(6)]
    # 2026-11-01 02:00 EDT -> 01:00 EST is 06:00 UTC
    autumn = every_minute.next_times(utc(2026, 11, 1, 5, 57), n=6)
    assert autumn == [utc(2026, 11, 1, 5, 58) + timedelta(minutes=i) for i in range(6)]


def test_cron_at_nine_local_keeps_nine_local_across_dst() -> None:
    nine = CronSchedule("0 9 * * *", timezone=NY)
    spring = nine.next_times(utc(2026, 3, 6), n=4)
    assert hours(spring) == ["03-06 14:00", "03-07 14:00", "03-08 13:00", "03-09 13:00"]
    autumn = nine.next_times(utc(2026, 10, 30), n=4)
    assert hours(autumn) == ["10-30 13:00", "10-31 13:00", "11-01 14:00", "11-02 14:00"]
    assert_utc_ascending(spring + autumn)


def test_cron_times_are_strictly_after_after() -> None:
    nine = CronSchedule("0 9 * * *")
    assert nine.next_times(utc(2026, 1, 1, 9), n=1) == [utc(2026, 1, 2, 9)]
    assert nine.next_times(utc(2026, 1, 1, 8, 59, 59, 999999), n=1) == [utc(2026, 1, 1, 9)]


def test_cron_day_or_false_needs_both_day_fields() -> None:
    # the second Friday of the month: day 8-14 AND a Friday
    second_friday = CronSchedule("0 9 8-14 * FRI", day_or=False)
    times = second_friday.next_times(utc(2026, 1, 1), n=3)
    assert times == [utc(2026, 1, 9, 9), utc(2026, 2, 13, 9), utc(2026, 3, 13, 9)]
    either = CronSchedule("0 9 8-14 * FRI").next_times(utc(2026, 1, 1), n=3)
    assert either == [utc(2026, 1, 2, 9), utc(2026, 1, 8, 9), utc(2026, 1, 9, 9)]


def test_cron_that_never_matches_gives_no_times() -> None:
    assert CronSchedule("0 0 30 2 *").next_times(utc(2026, 1, 1)) == []


def test_cron_timezone_defaults_to_utc() -> None:
    assert CronSchedule("0 0 * * *").timezone == "UTC"


# -- interval -------------------------------------------------------------------------------------


def test_interval_times_are_aligned_to_the_anchor_and_strictly_after() -> None:
    every_hour = IntervalSchedule(timedelta(hours=1), anchor_date=utc(2026, 1, 1, 0, 15))
    assert every_hour.next_times(utc(2026, 3, 1, 10, 15), n=3) == [
        utc(2026, 3, 1, 11, 15),
        utc(2026, 3, 1, 12, 15),
        utc(2026, 3, 1, 13, 15),
    ]
    assert every_hour.next_times(utc(2026, 3, 1, 10, 14), n=1) == [utc(2026, 3, 1, 10, 15)]
    # before the anchor too: the times extend both ways
    assert every_hour.next_times(utc(2025, 12, 31, 22), n=2) == [
        utc(2025, 12, 31, 22, 15),
        utc(2025, 12, 31, 23, 15),
    ]


def test_interval_default_anchor_is_2020_in_the_time_zone() -> None:
    schedule = IntervalSchedule(timedelta(days=1), timezone=NY)
    assert schedule.anchor_date is not None
    assert schedule.anchor_date.replace(tzinfo=None) == datetime(2020, 1, 1)
    assert schedule.anchor_date.utcoffset() == timedelta(hours=-5)
    assert hours(schedule.next_times(utc(2026, 7, 1), n=1)) == ["07-01 04:00"]


def test_daily_interval_in_a_dst_zone_keeps_the_wall_clock() -> None:
    daily = IntervalSchedule(timedelta(days=1), anchor_date=datetime(2026, 1, 1, 9), timezone=NY)
    spring = daily.next_times(utc(2026, 3, 6), n=4)
    assert hours(spring) == ["03-06 14:00", "03-07 14:00", "03-08 13:00", "03-09 13:00"]
    autumn = daily.next_times(utc(2026, 10, 30), n=4)
    assert hours(autumn) == ["10-30 13:00", "10-31 13:00", "11-01 14:00", "11-02 14:00"]
    weekly = IntervalSchedule(timedelta(weeks=1), anchor_date=datetime(2026, 3, 1, 9), timezone=NY)
    assert hours(weekly.next_times(utc(2026, 3, 2), n=1)) == ["03-08 13:00"]


def test_ninety_second_interval_is_absolute_across_dst() -> None:
    every_90s = IntervalSchedule(90, anchor_date=datetime(2026, 3, 8, 0, 0), timezone=NY)
    times = every_90s.next_times(utc(2026, 3, 8, 6, 58), n=4)
    assert [t - times[0] for t in times] == [timedelta(seconds=90 * i) for i in range(4)]
    assert times[0] == utc(2026, 3, 8, 6, 58, 30)  # 00:00 EST is 05:00 UTC; 05:00 + 79 * 90s
    assert every_90s.interval == timedelta(seconds=90)


def test_hourly_interval_is_absolute_through_the_repeated_hour() -> None:
    hourly = IntervalSchedule(timedelta(hours=1), timezone=NY)
    assert hours(hourly.next_times(utc(2026, 11, 1, 4, 30), n=3)) == [
        "11-01 05:00",
        "11-01 06:00",
        "11-01 07:00",
    ]


def test_interval_timezone_comes_from_a_zoneinfo_anchor() -> None:
    from zoneinfo import ZoneInfo

    schedule = IntervalSchedule(60, anchor_date=datetime(2026, 1, 1, tzinfo=ZoneInfo(NY)))
    assert schedule.timezone == NY


# -- rrule ----------------------------------------------------------------------------------------


def test_rrule_weekly_without_dtstart_starts_at_midnight_2020_in_the_zone() -> None:
    mo_we = RRuleSchedule("FREQ=WEEKLY;BYDAY=MO,WE", timezone=NY)
    times = mo_we.next_times(utc(2026, 3, 1), n=4)
    # midnight New York, Monday and Wednesday; EST then EDT after 2026-03-08
    assert hours(times) == ["03-02 05:00", "03-04 05:00", "03-09 04:00", "03-11 04:00"]
    assert_utc_ascending(times)


def test_rrule_weekly_with_dtstart_honours_it() -> None:
    rule = "DTSTART:20260302T083000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE"
    times = RRuleSchedule(rule, timezone=NY).next_times(utc(2026, 1, 1), n=4)
    assert hours(times) == ["03-02 13:30", "03-04 13:30", "03-09 12:30", "03-11 12:30"]
    in_utc = RRuleSchedule(rule).next_times(utc(2026, 1, 1), n=1)
    assert in_utc == [utc(2026, 3, 2, 8, 30)]


def test_rrule_with_a_utc_dtstart_keeps_the_instant() -> None:
    rule = "DTSTART:20260302T083000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE"
    times = RRuleSchedule(rule, timezone=NY).next_times(utc(2026, 1, 1), n=2)
    assert times == [utc(2026, 3, 2, 8, 30), utc(2026, 3, 4, 8, 30)]


def test_rrule_with_count_ends() -> None:
    rule = "DTSTART:20260302T090000\nRRULE:FREQ=DAILY;COUNT=3"
    assert len(RRuleSchedule(rule).next_times(utc(2026, 1, 1))) == 3
    assert RRuleSchedule(rule).next_times(utc(2026, 3, 4, 9)) == []


# -- n, until, after ------------------------------------------------------------------------------

SCHEDULES = [
    CronSchedule("0 9 * * *", NY),
    IntervalSchedule(timedelta(days=1), datetime(2026, 1, 1, 9), NY),
    RRuleSchedule("FREQ=DAILY;BYHOUR=9", NY),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_n_and_until_limit_the_times(
    schedule: CronSchedule | IntervalSchedule | RRuleSchedule,
) -> None:
    after = utc(2026, 3, 1)
    assert len(schedule.next_times(after)) == 100  # the default n
    assert len(schedule.next_times(after, n=5)) == 5
    assert schedule.next_times(after, n=0) == []
    until = utc(2026, 3, 4, 14)  # 09:00 EST on the 4th, included
    times = schedule.next_times(after, until=until, n=50)
    assert hours(times) == ["03-01 14:00", "03-02 14:00", "03-03 14:00", "03-04 14:00"]
    assert schedule.next_times(after, until=until, n=2) == times[:2]
    assert schedule.next_times(after, until=after) == []
    with pytest.raises(ValueError, match="-1"):
        schedule.next_times(after, n=-1)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_naive_after_is_utc(schedule: CronSchedule | IntervalSchedule | RRuleSchedule) -> None:
    naive = schedule.next_times(datetime(2026, 3, 1, 13, 59), n=3)
    assert naive == schedule.next_times(utc(2026, 3, 1, 13, 59), n=3)
    from zoneinfo import ZoneInfo

    aware = datetime(2026, 3, 1, 8, 59, tzinfo=ZoneInfo(NY))  # the same instant
    assert schedule.next_times(aware, n=3) == naive
    assert_utc_ascending(naive)


# -- JSON -----------------------------------------------------------------------------------------


def test_the_json_shapes() -> None:
    assert schedule_to_dict(CronSchedule("0 9 * * *", NY)) == {
        "cron": "0 9 * * *",
        "timezone": NY,
        "day_or": True,
    }
    assert schedule_to_dict(IntervalSchedule(90, utc(2026, 1, 1))) == {
        "interval": 90.0,
        "anchor_date": "2026-01-01T00:00:00+00:00",
        "timezone": "UTC",
    }
    assert RRuleSchedule("FREQ=WEEKLY;BYDAY=MO,WE").to_dict() == {
        "rrule": "FREQ=WEEKLY;BYDAY=MO,WE",
        "timezone": "UTC",
    }


@pytest.mark.parametrize(
    "schedule",
    [
        CronSchedule("0 9 8-14 * FRI", NY, day_or=False),
        IntervalSchedule(timedelta(days=1, seconds=0.5), datetime(2026, 1, 1, 9), NY),
        IntervalSchedule(90),
        RRuleSchedule("DTSTART:20260302T083000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE", NY),
    ],
    ids=lambda s: type(s).__name__,
)
def test_round_trip_through_dict_and_json(
    schedule: CronSchedule | IntervalSchedule | RRuleSchedule,
) -> None:
    assert schedule_from_dict(schedule_to_dict(schedule)) == schedule
    again = schedule_from_dict(json.loads(json.dumps(schedule.to_dict())))
    assert again == schedule
    after = utc(2026, 3, 1)
    assert again.next_times(after, n=5) == schedule.next_times(after, n=5)


def test_from_dict_fills_optional_keys_and_reads_z() -> None:
    assert schedule_from_dict({"cron": "* * * * *"}) == CronSchedule("* * * * *")
    read = schedule_from_dict({"interval": 60, "anchor_date": "2026-01-01T00:00:00Z"})
    assert read == IntervalSchedule(60, utc(2026, 1, 1))


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"cron": "* * * * *", "interval": 60},
        {"cron": "* * * * *", "anchor_date": "x"},
        {"x": 1},
    ],
)
def test_from_dict_rejects_unknown_shapes_naming_the_keys(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a schedule: keys") as caught:
        schedule_from_dict(data)
    for key in data:
        assert repr(key) in str(caught.value)


# -- construct_schedule ---------------------------------------------------------------------------


def test_construct_schedule_builds_each_kind() -> None:
    assert construct_schedule(interval=60) == IntervalSchedule(timedelta(seconds=60))
    assert construct_schedule(
        interval=timedelta(hours=1), anchor_date="2026-01-01T00:00:00+00:00", timezone=NY
    ) == IntervalSchedule(timedelta(hours=1), utc(2026, 1, 1), NY)
    assert construct_schedule(cron="0 9 * * *", timezone=NY) == CronSchedule("0 9 * * *", NY)
    assert construct_schedule(rrule="FREQ=DAILY") == RRuleSchedule("FREQ=DAILY")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give one of interval, cron or rrule"),
        ({"interval": 60, "cron": "* * * * *"}, "not interval and cron"),
        ({"cron": "* * * * *", "rrule": "FREQ=DAILY"}, "not cron and rrule"),
        ({"cron": "* * * * *", "anchor_date": "2026-01-01"}, "'2026-01-01' is only for"),
        ({"interval": 60, "anchor_date": "someday"}, "'someday' is not an ISO 8601"),
    ],
)
def test_construct_schedule_rejects(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        construct_schedule(**kwargs)  # type: ignore[arg-type]  # a wrong type, on purpose


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda: CronSchedule("61 * * * *"), "invalid cron expression '61 * * * *'"),
        (lambda: CronSchedule("every day"), "invalid cron expression 'every day'"),
        (lambda: CronSchedule("* * * * *", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (lambda: IntervalSchedule(60, timezone="Nowhere"), "unknown time zone 'Nowhere'"),
        (lambda: RRuleSchedule("FREQ=DAILY", "../etc"), "unknown time zone '../etc'"),
        (lambda: IntervalSchedule(0), "interval must be positive, not 0"),
        (lambda: IntervalSchedule(-5.5), "interval must be positive, not -5.5"),
        (lambda: IntervalSchedule(timedelta(0)), "not datetime.timedelta(0)"),
        (lambda: IntervalSchedule("60"), "not '60'"),  # type: ignore[arg-type]  # a wrong type, on purpose
        (lambda: RRuleSchedule("FREQ=SOMETIMES"), "unparsable rrule 'FREQ=SOMETIMES'"),
        (lambda: RRuleSchedule(""), "unparsable rrule ''"),
        (lambda: Cron("0 0 * *"), "invalid cron expression '0 0 * *'"),
        (lambda: Interval(-1), "interval must be positive"),
        (lambda: RRule("FREQ=DAILY;BYHOUR=25"), "unparsable rrule 'FREQ=DAILY;BYHOUR=25'"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_value(build: object, named: str) -> None:
    with pytest.raises(ValueError) as caught:
        build()  # type: ignore[operator]  # a wrong type, on purpose
    assert named in str(caught.value)


# -- the Prefect 3 wrapper ------------------------------------------------------------------------


def test_cron_interval_rrule_wrappers_carry_active_parameters_and_slug() -> None:
    cron = Cron("0 9 * * *", timezone=NY, active=False, parameters={"x": 1}, slug="nine")
    assert cron == Schedule(
        cron="0 9 * * *", timezone=NY, active=False, parameters={"x": 1}, slug="nine"
    )
    assert cron.spec == CronSchedule("0 9 * * *", NY)
    assert (cron.active, cron.parameters, cron.slug) == (False, {"x": 1}, "nine")

    interval = Interval(90, anchor_date=utc(2026, 1, 1), slug="often")
    assert interval.interval == timedelta(seconds=90)
    assert interval.spec == IntervalSchedule(90, utc(2026, 1, 1))
    assert (interval.active, interval.parameters, interval.slug) == (True, {}, "often")

    rrule = RRule("FREQ=WEEKLY;BYDAY=MO,WE", timezone=NY, parameters={"y": 2})
    assert rrule.spec == RRuleSchedule("FREQ=WEEKLY;BYDAY=MO,WE", NY)
    assert rrule.parameters == {"y": 2}

    day_or = Cron("0 9 8-14 * FRI", day_or=False)
    assert day_or.spec == CronSchedule("0 9 8-14 * FRI", day_or=False)


def test_the_wrapper_delegates_next_times() -> None:
    after = utc(2026, 3, 1)
    for wrapped in (Cron("0 9 * * *", timezone=NY), Interval(90), RRule("FREQ=DAILY")):
        assert wrapped.next_times(after, n=3) == wrapped.spec.next_times(after, n=3)
        assert len(wrapped.next_times(after, until=after + timedelta(days=1), n=1000)) >= 1


def test_the_wrappers_parameters_are_not_shared() -> None:
    first, second = Cron("* * * * *"), Cron("* * * * *")
    assert first.parameters is not second.parameters


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of interval, cron or rrule, not none"),
        ({"cron": "* * * * *", "rrule": "FREQ=DAILY"}, "not cron and rrule"),
        ({"cron": "* * * * *", "anchor_date": datetime(2026, 1, 1)}, "only for an interval"),
        ({"cron": "not cron"}, "invalid cron expression 'not cron'"),
    ],
)
def test_schedule_rejects(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Schedule(**kwargs)  # type: ignore[arg-type]  # a wrong type, on purpose


# -- import weight --------------------------------------------------------------------------------


def test_importing_cadenza_or_the_module_loads_no_croniter_or_dateutil() -> None:
    code = (
        "import sys, cadenza; loaded = 'cadenza.schedules' in sys.modules; "
        "import cadenza.schedules; "
        "print(loaded, sorted({m.split('.')[0] for m in sys.modules} & {'croniter', 'dateutil'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False []"
