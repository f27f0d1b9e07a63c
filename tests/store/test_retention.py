"""Deleting flow runs (`cadenza.store.run_deletion`) and retention (`cadenza.store.retention`)
on a real record: SQLite and PostgreSQL, seeded with SQLAlchemy as the server writes."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cadenza.store import urls
from cadenza.store.retention import clean, parse_duration, policy_from_settings
from cadenza.store.run_deletion import delete_flow_runs
from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import (
    artifacts,
    cache_entries,
    events,
    flow_run_inputs,
    flow_runs,
    logs,
    run_states,
    task_runs,
)

NOW = 1_800_000_000.0
DAY = 86400.0
TABLES = (flow_runs, task_runs, run_states, logs, artifacts, flow_run_inputs)


class Record:
    """Writes runs and their rows through SQLAlchemy; counts what is left."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db
        self.log_ids = itertools.count(1)

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            with self.db.write() as conn:
                conn.execute(table.insert(), rows)

    def flow_run(self, *, state: str | None = "COMPLETED", ended: float | None = NOW - 40 * DAY,
                 parent: str | None = None, flow: str = "etl", tasks: int = 2, lines: int = 3,
                 result_ref: str | None = None, task_refs: list[Any] | None = None,
                 ) -> str:  # fmt: skip
        run_id = str(uuid.uuid4())
        created = (ended or NOW) - 60
        final = state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
        self.insert(flow_runs, [{"id": run_id, "name": f"n-{run_id[:6]}", "flow_name": flow,
                                 "parent_flow_run_id": parent, "state_type": state,
                                 "state_name": (state or "").title() or None, "created": created,
                                 "end_time": ended if final else None,
                                 "result_ref": result_ref}])  # fmt: skip
        states = [{"transition_id": str(uuid.uuid4()), "run_id": run_id, "flow_run_id": run_id,
                   "type": t, "name": t.title(), "timestamp": created}
                  for t in ("PENDING", "RUNNING", *([state] if final else []))]  # fmt: skip
        refs = task_refs or [None] * tasks
        for i in range(tasks):
            task_id = str(uuid.uuid4())
            self.insert(task_runs, [{"id": task_id, "flow_run_id": run_id, "name": f"t-{i}",
                                     "task_name": "t", "task_key": "k", "created": created,
                                     "state_type": "COMPLETED",
                                     "result_ref": refs[i]}])  # fmt: skip
            states.append({"transition_id": str(uuid.uuid4()), "run_id": task_id,
                           "flow_run_id": run_id, "type": "COMPLETED", "name": "Completed",
                           "timestamp": created})  # fmt: skip
        self.insert(run_states, states)
        self.lines(run_id, lines, created)
        self.insert(artifacts, [{"id": str(uuid.uuid4()), "type": "markdown", "data": "{}",
                                 "flow_run_id": run_id, "created": created}])  # fmt: skip
        self.insert(flow_run_inputs, [{"id": str(uuid.uuid4()), "flow_run_id": run_id,
                                       "key": "k", "value": "1", "created": created}])  # fmt: skip
        return run_id

    def lines(self, run_id: str | None, count: int, when: float) -> None:
        self.insert(logs, [{"id": next(self.log_ids), "flow_run_id": run_id, "level": 20,
                            "logger": "l", "message": f"m{i}", "timestamp": when,
                            "uid": str(uuid.uuid4())} for i in range(count)])  # fmt: skip

    def count(self, table: sa.Table, run_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(table)
        if run_id is not None:
            query = query.where(table.c.flow_run_id == run_id)
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def left(self, run_id: str) -> dict[str, int]:
        """The rows of each table still recorded under `run_id` (the run's own row included)."""
        with self.db.read() as conn:
            own = conn.execute(sa.select(sa.func.count()).where(flow_runs.c.id == run_id))
            counts = {"flow_runs": int(own.scalar_one())}
        counts.update({t.name: self.count(t, run_id) for t in TABLES[1:]})
        return counts


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    url = f"sqlite:///{tmp_path / 'cadenza.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    urls.prepare(url)
    database = SqlDatabase(url)
    yield database
    database.close()


@pytest.fixture
def rec(db: SqlDatabase) -> Record:
    return Record(db)


GONE = dict.fromkeys(t.name for t in TABLES)


def test_a_run_goes_with_everything_recorded_under_it_and_its_subflow_runs(rec: Record) -> None:
    run = rec.flow_run()
    sub = rec.flow_run(parent=run)
    subsub = rec.flow_run(parent=sub)
    other = rec.flow_run()
    before = rec.left(other)

    report = delete_flow_runs(rec.db, [run], now=NOW)

    for gone in (run, sub, subsub):
        assert set(rec.left(gone).values()) == {0}, gone
    assert rec.left(other) == before
    assert report.counts == {"flow_runs": 3, "task_runs": 6, "run_states": 15, "logs": 9,
                             "artifacts": 3, "flow_run_inputs": 3}  # fmt: skip
    assert report.skipped == report.missing == []


def test_a_run_not_in_a_final_state_stays_unless_forced(rec: Record) -> None:
    running = rec.flow_run(state="RUNNING")
    scheduled = rec.flow_run(state="SCHEDULED")
    done = rec.flow_run()
    waiting = rec.flow_run(state="PAUSED", parent=done)  # a tree holding an unfinished run

    report = delete_flow_runs(rec.db, [running, scheduled, done], now=NOW)

    assert report.counts["flow_runs"] == 0
    reasons = {s["id"]: s["reason"] for s in report.skipped}
    assert "RUNNING, not in a final state" in reasons[running]
    assert "SCHEDULED" in reasons[scheduled]
    assert f"its subflow run {waiting} is PAUSED" in reasons[done]
    assert rec.left(running)["logs"] == 3 and rec.left(waiting)["flow_runs"] == 1

    forced = delete_flow_runs(rec.db, [running, done], force=True, now=NOW)
    assert forced.counts["flow_runs"] == 3 and not forced.skipped
    assert rec.left(waiting)["flow_runs"] == 0


def test_unknown_ids_are_reported_and_nothing_else_goes(rec: Record) -> None:
    run = rec.flow_run()
    report = delete_flow_runs(rec.db, ["no-such-run"], now=NOW)
    assert report.missing == ["no-such-run"] and report.counts["flow_runs"] == 0
    assert rec.left(run)["flow_runs"] == 1


def test_filters_choose_top_level_runs_and_their_subflow_runs_go_along(rec: Record) -> None:
    old_done = rec.flow_run(ended=NOW - 40 * DAY)
    old_sub_failed = rec.flow_run(state="FAILED", ended=NOW - 41 * DAY, parent=old_done)
    old_failed = rec.flow_run(state="FAILED", ended=NOW - 40 * DAY, flow="report")
    recent = rec.flow_run(ended=NOW - 1 * DAY)
    old_running = rec.flow_run(state="RUNNING", ended=NOW - 40 * DAY)
    orphan = rec.flow_run(ended=NOW - 40 * DAY, parent="a-parent-deleted-long-ago")

    report = delete_flow_runs(rec.db, older_than=30 * DAY, states=["completed"], now=NOW)

    assert report.counts["flow_runs"] == 3  # old_done, its Failed subflow run, the orphan
    assert {r: rec.left(r)["flow_runs"] for r in (old_done, old_sub_failed, orphan)} == {
        old_done: 0, old_sub_failed: 0, orphan: 0}  # fmt: skip
    assert rec.left(old_failed)["flow_runs"] == rec.left(recent)["flow_runs"] == 1
    assert rec.left(old_running)["flow_runs"] == 1  # unfinished: never chosen without force

    by_flow = delete_flow_runs(rec.db, flow_name="report", now=NOW)
    assert by_flow.counts["flow_runs"] == 1 and rec.left(old_failed)["flow_runs"] == 0
    forced = delete_flow_runs(rec.db, older_than=30 * DAY, force=True, now=NOW)
    assert forced.counts["flow_runs"] == 1 and rec.left(old_running)["flow_runs"] == 0
    assert rec.left(recent)["flow_runs"] == 1


def test_ids_and_filters_together_delete_only_the_ids_that_match(rec: Record) -> None:
    old, recent = rec.flow_run(ended=NOW - 40 * DAY), rec.flow_run(ended=NOW - DAY)
    report = delete_flow_runs(rec.db, [old, recent], older_than=30 * DAY, now=NOW)
    assert report.counts["flow_runs"] == 1 and not report.missing
    assert rec.left(recent)["flow_runs"] == 1


def test_a_dry_run_counts_exactly_what_the_delete_then_removes(rec: Record) -> None:
    runs = [rec.flow_run(tasks=i, lines=2 * i) for i in range(4)]
    rec.flow_run(parent=runs[1])
    plan = delete_flow_runs(rec.db, older_than=30 * DAY, dry_run=True, now=NOW)
    assert all(rec.left(r)["flow_runs"] == 1 for r in runs)
    done = delete_flow_runs(rec.db, older_than=30 * DAY, now=NOW)
    assert plan.dry_run and not done.dry_run
    assert plan.counts == done.counts and done.counts["flow_runs"] == 5


def test_each_transaction_removes_at_most_a_batch_of_rows(rec: Record) -> None:
    run = rec.flow_run(tasks=3, lines=95)
    commits: list[int] = []
    sa.event.listen(rec.db.engine, "commit", lambda _conn: commits.append(1))
    report = delete_flow_runs(rec.db, [run], batch=10, now=NOW)
    total = sum(report.counts.values())
    assert total == 1 + 3 + (3 + 3) + 95 + 1 + 1  # runs, task runs, states, logs, ...
    assert len(commits) >= total // 10  # no transaction removed more than 10 rows
    assert set(rec.left(run).values()) == {0}


def test_limit_and_cursor_page_through_a_delete_by_filter(rec: Record) -> None:
    runs = {rec.flow_run(tasks=0, lines=0) for _ in range(7)}
    deleted, after, calls = 0, None, 0
    while True:
        report = delete_flow_runs(rec.db, older_than=0, limit=3, after=after, now=NOW)
        deleted, after, calls = deleted + report.counts["flow_runs"], report.cursor, calls + 1
        assert report.counts["flow_runs"] <= 3
        if after is None:
            break
    assert deleted == 7 and calls == 3
    assert all(rec.left(r)["flow_runs"] == 0 for r in runs)


def test_result_references_still_used_elsewhere_are_not_handed_back(rec: Record) -> None:
    shared, cached, own = "ref-shared", "ref-cached", "ref-own"
    run = rec.flow_run(tasks=3, task_refs=[shared, cached, own], result_ref="ref-flow")
    rec.flow_run(tasks=1, task_refs=[shared])  # a cache hit of another run kept the same ref
    rec.insert(cache_entries, [{"key": "k1", "result_ref": cached, "created": NOW}])

    plan = delete_flow_runs(rec.db, [run], dry_run=True, results=True, now=NOW)
    assert set(plan.result_refs) == {shared, cached, own, "ref-flow"}  # at most these
    report = delete_flow_runs(rec.db, [run], results=True, now=NOW)
    assert report.result_refs == ["ref-flow", own]
    assert delete_flow_runs(rec.db, [], older_than=0, now=NOW).result_refs == []  # not asked


@pytest.mark.parametrize("bad", [{}, {"states": ["DONE"]}, {"states": ["\ud800"]},
                                 {"states": ["x" * 1_000_000]}])  # fmt: skip
def test_a_delete_needs_a_valid_target(rec: Record, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"Name the flow runs|Unknown state type") as caught:
        delete_flow_runs(rec.db, **bad)
    assert len(str(caught.value)) < 300


# -- retention ------------------------------------------------------------------------------------


def test_log_lines_older_than_their_ttl_go_unless_their_run_is_unfinished(rec: Record) -> None:
    done = rec.flow_run(lines=0)
    running = rec.flow_run(state="RUNNING", lines=0)
    rec.lines(done, 20, NOW - 31 * DAY)
    rec.lines(done, 5, NOW - 29 * DAY)
    rec.lines(running, 7, NOW - 60 * DAY)
    rec.lines(None, 4, NOW - 31 * DAY)  # lines recorded outside any flow run
    rec.lines("a-run-long-gone", 3, NOW - 31 * DAY)

    plan = clean(rec.db, {"logs": 30 * DAY}, dry_run=True, batch=7, now=NOW)
    assert plan["deleted"]["logs"] == 27 and rec.count(logs) == 39
    answer = clean(rec.db, {"logs": 30 * DAY}, batch=7, now=NOW)

    assert answer["deleted"]["logs"] == 27
    assert rec.count(logs, done) == 5 and rec.count(logs, running) == 7
    assert rec.count(logs) == 12
    assert rec.left(done)["flow_runs"] == 1  # a logs TTL deletes no run


def test_events_and_artifacts_have_their_own_ttls(rec: Record) -> None:
    done, running = rec.flow_run(), rec.flow_run(state="RUNNING")  # artifacts 40 days old
    rec.insert(events, [{"id": str(uuid.uuid4()), "occurred": NOW - age * DAY,
                         "event": "cadenza.flow-run.Completed", "resource_id": f"r{age}"}
                        for age in (1, 6, 8, 30)])  # fmt: skip

    answer = clean(rec.db, {"events": 7 * DAY, "artifacts": 30 * DAY}, batch=1, now=NOW)

    assert answer["deleted"]["events"] == 2 and rec.count(events) == 2
    assert answer["deleted"]["artifacts"] == 1
    assert rec.count(artifacts, done) == 0 and rec.count(artifacts, running) == 1
    assert rec.count(logs) == 6  # no logs TTL in this policy


def test_the_flow_run_ttl_deletes_finished_trees(rec: Record) -> None:
    old = rec.flow_run(ended=NOW - 100 * DAY)
    rec.flow_run(parent=old, ended=NOW - 100 * DAY)
    young = rec.flow_run(ended=NOW - 10 * DAY)
    stuck = rec.flow_run(state="RUNNING", ended=NOW - 100 * DAY)

    answer = clean(rec.db, {"flow_runs": 90 * DAY}, now=NOW)

    assert answer["deleted"]["flow_runs"] == 2 and answer["deleted"]["logs"] == 6
    assert rec.left(young)["flow_runs"] == rec.left(stuck)["flow_runs"] == 1


def test_a_stopping_service_stops_between_batches(rec: Record) -> None:
    run = rec.flow_run(lines=0)
    rec.lines(run, 50, NOW - 40 * DAY)
    calls = itertools.count()
    answer = clean(rec.db, {"logs": DAY}, batch=10, now=NOW, stopping=lambda: next(calls) >= 3)
    assert 0 < answer["deleted"]["logs"] < 50


def test_unknown_tables_in_a_policy_are_refused(rec: Record) -> None:
    with pytest.raises(ValueError, match=r"No retention for table.*blocks"):
        clean(rec.db, {"blocks": 60.0})


@pytest.mark.parametrize(("text", "seconds"), [
    ("30d", 30 * DAY), ("12h", 43200.0), ("90m", 5400.0), ("45s", 45.0), ("2w", 14 * DAY),
    ("1.5h", 5400.0), (" 7D ", 7 * DAY), ("3600", 3600.0), (60, 60.0), ("0", 0.0),
    ("", None), ("off", None), (None, None),
])  # fmt: skip
def test_durations(text: object, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["30x", "-5", "d", "1e9", "nan", "inf", "1" * 1_000_000,
                                 "\ud800", "3 0d", float("inf"), -1, True, [1]])  # fmt: skip
def test_bad_durations_are_refused_naming_the_setting(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^CADENZA_RETENTION_LOGS: ") as caught:
        parse_duration(bad, "CADENZA_RETENTION_LOGS")
    assert len(str(caught.value)) < 200


def test_the_policy_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from cadenza.settings import spec

    for name in ("FLOW_RUNS", "LOGS", "EVENTS", "ARTIFACTS"):
        monkeypatch.delenv(f"CADENZA_RETENTION_{name}", raising=False)
    spec.reset_cache()
    assert policy_from_settings() == {"logs": 30 * DAY, "events": 7 * DAY}  # the defaults
    monkeypatch.setenv("CADENZA_RETENTION_LOGS", "0")
    monkeypatch.setenv("CADENZA_RETENTION_FLOW_RUNS", "90d")
    monkeypatch.setenv("CADENZA_RETENTION_EVENTS", "off")
    spec.reset_cache()
    assert policy_from_settings() == {"flow_runs": 90 * DAY}
    monkeypatch.setenv("CADENZA_RETENTION_ARTIFACTS", "soon")
    spec.reset_cache()
    with pytest.raises(ValueError, match="CADENZA_RETENTION_ARTIFACTS: 'soon' is not a duration"):
        policy_from_settings()


def test_report_is_json(rec: Record) -> None:
    run = rec.flow_run()
    assert json.loads(json.dumps(delete_flow_runs(rec.db, [run]).as_dict()))["deleted"]
