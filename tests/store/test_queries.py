"""Read queries over a real record seeded with raw sqlite3, as the engine writes it."""

from __future__ import annotations

import json
import time

import pytest
from record_seed import Seeder

from cadenza.store.queries import (
    VALID_STATE_TYPES,
    get_flow_run,
    get_logs,
    list_flow_runs,
    resolve_flow_run_id,
)


def test_list_is_newest_first_with_decoded_fields(conn, seeder: Seeder) -> None:
    ids = seeder.sample()
    runs = list_flow_runs(conn)
    assert [r["id"] for r in runs] == [ids["sub"], ids["run"], ids["old"]]
    run = runs[1]
    assert run["parameters"] == {"n": 3, "who": "bob"} and run["tags"] == ["nightly"]
    assert run["state"] == {
        "type": "COMPLETED",
        "name": "Completed",
        "message": "completed message",
    }
    assert run["flow_name"] == "etl" and run["flow_version"] == "1.0"
    assert run["start_time"].endswith("+00:00") and run["created"].startswith("2023-11-14T22:13")
    assert run["duration_seconds"] == 1.0
    assert runs[0]["parent_flow_run_id"] == ids["run"]
    json.dumps(runs)  # plain JSON


def test_list_filters_and_limit(conn, seeder: Seeder) -> None:
    ids = seeder.sample()
    assert [r["id"] for r in list_flow_runs(conn, state="failed")] == [ids["old"]]
    assert [r["id"] for r in list_flow_runs(conn, flow_name="etl")] == [ids["run"]]
    assert list_flow_runs(conn, state="RUNNING") == []
    assert len(list_flow_runs(conn, limit=2)) == 2
    assert len(list_flow_runs(conn, limit=None)) == 3


def test_list_rejects_bad_state_and_limit(conn) -> None:
    with pytest.raises(ValueError) as info:
        list_flow_runs(conn, state="done")
    assert "'done'" in str(info.value)
    assert all(t in str(info.value) for t in VALID_STATE_TYPES)
    assert len(VALID_STATE_TYPES) == 9
    with pytest.raises(ValueError):
        list_flow_runs(conn, limit=0)


def test_running_run_has_no_end_or_duration(conn, seeder: Seeder) -> None:
    seeder.flow_run(final="RUNNING")
    (run,) = list_flow_runs(conn)
    assert run["end_time"] is None and run["duration_seconds"] is None
    assert run["start_time"] is not None


def test_resolve_full_prefix_and_latest(conn, seeder: Seeder) -> None:
    a = seeder.flow_run(run_id="abc123-one")
    b = seeder.flow_run(run_id="abd456-two")
    assert resolve_flow_run_id(conn, a) == a
    assert resolve_flow_run_id(conn, "abc") == a
    assert resolve_flow_run_id(conn, "latest") == b
    with pytest.raises(LookupError, match=r"ambiguous.*abc123-one.*abd456-two"):
        resolve_flow_run_id(conn, "ab")
    with pytest.raises(LookupError, match="'zzz'"):
        resolve_flow_run_id(conn, "zzz")
    with pytest.raises(LookupError):
        resolve_flow_run_id(conn, "  ")
    with pytest.raises(LookupError, match="'a%'"):  # no LIKE wildcards
        resolve_flow_run_id(conn, "a%")


def test_latest_on_empty_record(conn) -> None:
    with pytest.raises(LookupError, match="No flow runs"):
        resolve_flow_run_id(conn, "latest")


def test_get_flow_run_in_full(conn, seeder: Seeder) -> None:
    ids = seeder.sample()
    run = get_flow_run(conn, ids["run"])
    assert [s["type"] for s in run["states"]] == ["PENDING", "RUNNING", "COMPLETED"]
    assert [s["timestamp"] for s in run["states"]] == sorted(s["timestamp"] for s in run["states"])
    assert all(s["transition_id"] for s in run["states"])
    assert [t["name"] for t in run["task_runs"]] == ["extract-0", "load-0"]
    extract, load = run["task_runs"]
    assert extract["id"] == ids["first_task"] and extract["task_name"] == "extract"
    assert [s["type"] for s in extract["states"]] == ["PENDING", "RUNNING", "COMPLETED"]
    assert [s["type"] for s in load["states"]] == ["PENDING", "RUNNING", "FAILED"]
    assert load["state"]["type"] == "FAILED" and load["tags"] == ["t"]
    assert [s["id"] for s in run["subflow_runs"]] == [ids["sub"]]
    assert run["subflow_runs"][0]["flow_name"] == "child"
    assert [(log["message"], log["level_name"]) for log in run["logs"]] == [
        ("starting [bold]up[/bold]", "INFO"),
        ("extracted 3 rows", "WARNING"),
    ]
    assert run["logs"][1]["task_run_id"] == ids["first_task"]
    assert run["result_ref"] == "ref-flow"
    json.dumps(run)
    assert get_logs(conn, ids["sub"])[0]["message"] == "subflow line"
    assert get_logs(conn, "nope") == []
    with pytest.raises(LookupError):
        get_flow_run(conn, "nope")


def test_get_flow_run_with_ten_thousand_task_runs(conn, seeder: Seeder) -> None:
    run = seeder.flow_run()
    conn.execute("BEGIN")
    for i in range(10_000):
        seeder.task_run(run, name=f"work-{i}")
    conn.execute("COMMIT")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    started = time.perf_counter()
    result = get_flow_run(conn, run)
    elapsed = time.perf_counter() - started
    conn.set_trace_callback(None)
    assert len(result["task_runs"]) == 10_000
    assert result["task_runs"][-1]["name"] == "work-9999"
    assert all(len(t["states"]) == 3 for t in result["task_runs"])
    assert len(result["states"]) == 3
    assert len(statements) <= 6, statements  # no query per task run
    # a guard against a gross regression only (alone it takes about 0.3 s; late in a serial run
    # of the whole suite, with a large heap to collect, it once took 4.3 s)
    assert elapsed < 15.0
