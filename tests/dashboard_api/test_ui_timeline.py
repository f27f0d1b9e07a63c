"""GET /api/flow_runs/{ref}/timeline: a run's task runs as columns, in non-overlapping lanes."""

from __future__ import annotations

import pytest
from dashboard_writes import T0, batch, create_run, finish, ok, task, transition

from cadenza.store.ui_queries import pack_lanes


def _ran(
    flow_run: str,
    name: str,
    start: float,
    end: float | None,
    final: str = "COMPLETED",
    final_name: str | None = None,
) -> tuple[dict, list[dict]]:
    t = task(flow_run, name=name, created=start - 0.5)
    moves = [
        transition(t["id"], flow_run, "PENDING", start - 0.5),
        transition(t["id"], flow_run, "RUNNING", start, run_count=1),
    ]
    if end is not None:
        moves.append(transition(t["id"], flow_run, final, end, name=final_name))
    return t, moves


def test_lanes_pack_overlapping_task_runs_and_mark_cached_and_unstarted(api) -> None:
    run = create_run(api)
    finish(api, run, "COMPLETED", T0 + 10, T0 + 100)
    specs = [("a", 11, 20), ("b", 12, 15), ("c", 15, 30), ("d", 20, 25), ("e", 40, None)]
    tasks, moves = [], []
    for name, start, end in specs:
        t, m = _ran(run, name, T0 + start, None if end is None else T0 + end)
        tasks.append(t)
        moves += m
    cached, cache_moves = _ran(run, "cached", T0 + 50, T0 + 50, final_name="Cached")
    never = task(run, name="never", created=T0 + 5)
    moves += cache_moves
    batch(api, task_runs=[*tasks, cached, never], transitions=moves)

    line = ok(api.get(f"/api/flow_runs/{run[:12]}/timeline"))  # a unique prefix resolves
    assert line["flow_run"]["id"] == run and line["flow_run"]["state_type"] == "COMPLETED"
    assert line["count"] == 7 and line["truncated"] is False
    by_name = {n: i for i, n in enumerate(line["names"])}
    assert line["names"][:5] == ["a", "b", "c", "d", "e"]  # by start; never-started last
    assert line["names"][-1] == "never"
    assert line["start"][:5] == [1.0, 2.0, 5.0, 10.0, 30.0]
    assert line["end"][:5] == [10.0, 5.0, 20.0, 15.0, None]
    # a:0 (1-10), b:1 (2-5), c:1 (5-20, b ended at 5), d:0 (10-15), e:0 (running from 30)
    assert line["row"][:5] == [0, 1, 1, 0, 0]
    assert line["row"][by_name["never"]] is None and line["start"][by_name["never"]] is None
    assert line["cached"][by_name["cached"]] is True and sum(line["cached"]) == 1
    assert line["state"][by_name["e"]] == "RUNNING"
    assert line["run_count"][0] == 1
    assert line["ids"][0] == tasks[0]["id"]
    assert (
        len(
            {
                len(line[k])
                for k in (
                    "names",
                    "task_names",
                    "ids",
                    "start",
                    "end",
                    "state",
                    "state_name",
                    "run_count",
                    "row",
                    "cached",
                )
            }
        )
        == 1
    )


def test_no_two_bars_in_a_lane_overlap() -> None:
    import random

    rng = random.Random(7)
    spans = sorted((s, s + rng.random() * 5) for s in (rng.random() * 100 for _ in range(2000)))
    lanes = pack_lanes(spans)
    last: dict[int, float] = {}
    for (start, end), lane in zip(spans, lanes, strict=True):
        assert lane is not None and last.get(lane, -1.0) <= start
        assert all(last.get(lower, -1) > start for lower in range(lane))  # first free lane
        last[lane] = end


def test_an_unknown_run_is_a_404_and_an_empty_one_has_empty_columns(api) -> None:
    response = api.get("/api/flow_runs/nope/timeline")
    assert response.status_code == 404 and response.json()["errors"] == []
    run = create_run(api)
    line = ok(api.get(f"/api/flow_runs/{run}/timeline"))
    assert line["count"] == 0 and line["names"] == [] and line["flow_run"]["start_time"] is None


@pytest.mark.parametrize("ref", ["a%00b", "%ED%B2%80", "x" * 3000])
def test_a_hostile_ref_is_not_a_500(lite, ref) -> None:
    assert lite.get(f"/api/flow_runs/{ref}/timeline").status_code == 404
