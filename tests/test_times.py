"""`cadenza._times`: the one formatter of a time that leaves the process, and its inverse."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cadenza._times import epoch, epoch_times, iso, iso_times, parse_iso


def test_iso_is_utc_with_its_offset_and_microseconds() -> None:
    assert iso(1714564803.417202) == "2024-05-01T12:00:03.417202+00:00"
    assert iso(1714564803.0) == "2024-05-01T12:00:03+00:00"
    assert iso(None) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-05-01T12:00:03.417202+00:00", 1714564803.417202),
        ("2024-05-01T12:00:03Z", 1714564803.0),
        ("2024-05-01T14:00:03+02:00", 1714564803.0),
        ("2024-05-01T12:00:03", 1714564803.0),  # no offset: UTC
        ("1714564803.5", 1714564803.5),
        (1714564803, 1714564803.0),
        (datetime(2024, 5, 1, 12, 0, 3, tzinfo=timezone(timedelta(hours=1))), 1714561203.0),
        (None, None),
    ],
)
def test_epoch_reads_every_form(given: object, expected: float | None) -> None:
    assert epoch(given) == pytest.approx(expected) if expected is not None else epoch(given) is None


def test_a_malformed_time_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        epoch("yesterday")
    with pytest.raises(ValueError):
        parse_iso("")


def test_times_are_rewritten_everywhere_but_in_what_a_user_stored() -> None:
    answer = {
        "created": 1714564803.417202, "duration_seconds": 1.5, "end_time": None,
        "parameters": {"created": 5}, "data": {"timestamp": 6}, "value": {"updated": 7},
        "payload": {"occurred": 8},
        "states": [{"timestamp": 1714564804.0, "details": {"scheduled_time": 1714564805.0}}],
        "start": [0.0, 1.0],  # seconds from a run's start, not times
    }  # fmt: skip
    shown = iso_times(answer)
    assert shown["created"] == "2024-05-01T12:00:03.417202+00:00"
    assert shown["states"][0]["timestamp"] == "2024-05-01T12:00:04+00:00"
    assert shown["states"][0]["details"]["scheduled_time"] == "2024-05-01T12:00:05+00:00"
    for key in ("duration_seconds", "end_time", "parameters", "data", "value", "payload", "start"):
        assert shown[key] == answer[key], key
    assert answer["created"] == 1714564803.417202  # the input is not changed in place
    assert epoch_times(shown) == answer
    assert iso_times(shown) is shown  # nothing left to rewrite: nothing copied
