"""GET /api/flow_runs/{ref}/logs windows (`before`, `level`, `q`, `task_run_id`) and the
cross-run search GET /api/logs."""

from __future__ import annotations

import pytest
from dashboard_writes import T0, batch, create_run, log, ok, task


@pytest.fixture
def recorded(api) -> dict:
    run = create_run(api, name="nightly-load")
    other = create_run(api, name="other-run", flow_name="other-flow")
    t = task(run, name="extract")
    lines = [
        log(
            run,
            f"line {i}",
            level=(40 if i % 10 == 0 else 20),
            ts=T0 + i,
            task_run_id=t["id"] if i % 3 == 0 else None,
        )
        for i in range(50)
    ]
    lines += [
        log(run, "100% done_now", 30, ts=T0 + 60),
        log(run, "Disk FULL", 50, ts=T0 + 61),
        log(other, "disk full elsewhere", 40, ts=T0 + 62, logger="custom"),
    ]
    batch(api, task_runs=[t], logs=lines)
    return {"run": run, "other": other, "task": t["id"]}


def _logs(api, run: str, **params) -> list[dict]:
    return ok(api.get(f"/api/flow_runs/{run}/logs", params=params))


def test_before_is_the_window_just_before_in_arrival_order(api, recorded) -> None:
    every = _logs(api, recorded["run"], limit=1000)
    assert len(every) == 52
    ids = [line["id"] for line in every]
    window = _logs(api, recorded["run"], before=ids[30], limit=5)
    assert [line["id"] for line in window] == ids[25:30]
    both = _logs(api, recorded["run"], after=ids[10], before=ids[20], limit=100)
    assert [line["id"] for line in both] == ids[11:20]
    assert _logs(api, recorded["run"], before=ids[0]) == []
    # the old paging is unchanged
    assert [line["id"] for line in _logs(api, recorded["run"], limit=5, offset=5)] == ids[5:10]
    assert set(every[0]) == {
        "id",
        "timestamp",
        "level",
        "level_name",
        "logger",
        "message",
        "task_run_id",
    }


def test_level_text_and_task_filters(api, recorded) -> None:
    run = recorded["run"]
    errors = _logs(api, run, level=40)
    assert [line["message"] for line in errors] == [f"line {i}" for i in range(0, 50, 10)] + [
        "Disk FULL"
    ]
    assert [line["message"] for line in _logs(api, run, q="disk full")] == ["Disk FULL"]
    assert [line["message"] for line in _logs(api, run, q="100%")] == ["100% done_now"]
    assert _logs(api, run, q="0%d") == []  # % and _ are characters, not wildcards
    assert [line["message"] for line in _logs(api, run, q="line_")] == []
    of_task = _logs(api, run, task_run_id=recorded["task"], limit=1000)
    assert len(of_task) == 17 and {line["task_run_id"] for line in of_task} == {recorded["task"]}
    combined = _logs(api, run, task_run_id=recorded["task"], level=40, q="LINE 3")
    assert [line["message"] for line in combined] == ["line 30"]


def test_search_across_runs_newest_first_with_a_cursor(api, recorded) -> None:
    page = ok(api.get("/api/logs", params={"q": "DISK"}))
    assert [i["message"] for i in page["items"]] == ["disk full elsewhere", "Disk FULL"]
    assert [i["flow_run_name"] for i in page["items"]] == ["other-run", "nightly-load"]
    assert page["items"][0]["flow_run_id"] == recorded["other"]
    assert page["next_cursor"] is None
    seen, cursor = [], None
    while True:
        params = {"limit": 7, "level": 20}
        if cursor is not None:
            params["before"] = cursor
        page = ok(api.get("/api/logs", params=params))
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    ids = [i["id"] for i in seen]
    assert len(ids) == 53 and ids == sorted(ids, reverse=True)
    assert len(ok(api.get("/api/logs", params={"logger": "custom"}))["items"]) == 1
    assert len(ok(api.get("/api/logs", params={"flow_run_id": recorded["other"]}))["items"]) == 1
    by_task = ok(api.get("/api/logs", params={"task_run_id": recorded["task"], "level": 40}))
    assert [i["message"] for i in by_task["items"]] == ["line 30", "line 0"]
    timed = ok(api.get("/api/logs", params={"since": str(T0 + 48), "until": str(T0 + 61)}))
    assert [i["message"] for i in timed["items"]] == ["100% done_now", "line 49", "line 48"]


def test_search_by_flow_name_and_task_run_names(api, recorded) -> None:
    of_flow = ok(api.get("/api/logs", params={"flow_name": "other-flow", "q": "disk"}))
    assert [i["message"] for i in of_flow["items"]] == ["disk full elsewhere"]
    assert ok(api.get("/api/logs", params={"flow_name": "no-such-flow"}))["items"] == []
    of_task = ok(api.get("/api/logs", params={"task_run_id": recorded["task"], "limit": 2}))
    assert {i["task_run_name"] for i in of_task["items"]} == {"extract"}
    outside = ok(api.get("/api/logs", params={"flow_run_id": recorded["other"]}))["items"]
    assert [i["task_run_name"] for i in outside] == [None]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/logs", {"limit": 1001}),
        ("/api/logs", {"limit": 0}),
        ("/api/logs", {"before": -1}),
        ("/api/logs", {"before": "x"}),
        ("/api/logs", {"level": -5}),
        ("/api/logs", {"q": "x" * 60_000}),
        ("/api/logs", {"q": "a\x00"}),
        ("/api/logs", {"since": "soon"}),
        ("/api/logs", {"until": "-inf"}),
        ("RUN", {"before": -1}),
        ("RUN", {"level": "high"}),
        ("RUN", {"q": "x" * 60_000}),
        ("RUN", {"q": "\x00"}),
        ("RUN", {"task_run_id": "a\x00"}),
    ],
)
def test_hostile_log_queries_are_422(lite, path, params) -> None:
    run = create_run(lite)
    response = lite.get(path.replace("RUN", f"/api/flow_runs/{run}/logs"), params=params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]
