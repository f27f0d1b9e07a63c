"""GET /api/flow_runs/history: runs over time by state, grouped in SQL."""

from __future__ import annotations

import time

import pytest
from dashboard_writes import T0, create_run, finish, ok

from cadenza._times import epoch


def test_buckets_count_runs_by_state_over_the_window(api) -> None:
    failed = [create_run(api, created=T0 + s, flow_name="a") for s in (0, 5, 59.9)]
    done = [create_run(api, created=T0 + s, flow_name="b", tags=["x"]) for s in (60, 61, 179)]
    create_run(api, created=T0 + 180)  # at `until`: outside
    create_run(api, created=T0 - 1)  # before `since`: outside
    create_run(api, created=T0 + 100)  # no state yet: not counted
    for run in failed:
        finish(api, run, "FAILED", T0 + 200, T0 + 201)
    for run in done:
        finish(api, run, "COMPLETED", T0 + 200, T0 + 201)
    params = {"since": str(T0), "until": "2026-01-01T00:03:00Z", "buckets": 3}
    chart = ok(api.get("/api/flow_runs/history", params=params))
    assert chart["since"] == "2026-01-01T00:00:00+00:00" and chart["bucket_seconds"] == 60
    assert chart["until"] == "2026-01-01T00:03:00+00:00"  # times answered as ISO 8601 UTC
    assert [epoch(b["start"]) for b in chart["buckets"]] == [T0, T0 + 60, T0 + 120]
    assert [b["counts"] for b in chart["buckets"]] == [
        {"FAILED": 3},
        {"COMPLETED": 2},
        {"COMPLETED": 1},
    ]
    only_b = ok(api.get("/api/flow_runs/history", params={**params, "flow_name": "b"}))
    assert [b["counts"] for b in only_b["buckets"]] == [{}, {"COMPLETED": 2}, {"COMPLETED": 1}]
    tagged = ok(
        api.get("/api/flow_runs/history", params={**params, "tag": "x", "state": "completed"})
    )
    assert sum(sum(b["counts"].values()) for b in tagged["buckets"]) == 3


def test_the_default_window_is_the_last_day_in_48_buckets(api) -> None:
    now = time.time()
    create_run(api, created=now - 10)
    chart = ok(api.get("/api/flow_runs/history"))
    assert len(chart["buckets"]) == 48 and chart["bucket_seconds"] == pytest.approx(1800)
    until, since = epoch(chart["until"]), epoch(chart["since"])  # ISO 8601, as every time
    assert until is not None and since is not None
    assert until - since == pytest.approx(86_400)
    assert until == pytest.approx(now, abs=60)
    assert chart["buckets"][-1]["counts"] == {}  # it has no state: not counted


@pytest.mark.parametrize(
    "params",
    [
        {"buckets": 0},
        {"buckets": 201},
        {"since": "10", "until": "10"},
        {"since": "20", "until": "10"},
        {"since": "nan"},
        {"until": "1e400"},
        {"state": "NOPE"},
        {"q": "\x00"},
        {"since": "day"},
    ],
)
def test_hostile_history_queries_are_422(lite, params) -> None:
    response = lite.get("/api/flow_runs/history", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]
