"""The scheduler and claims on the record itself (SQLite and PostgreSQL), with a moved clock.

`cadenza.store.scheduling` and `cadenza.store.work_pools` take ``now``, so an outage of an hour
is a jump of 3,600 seconds; nothing here sleeps.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.store import deployments, scheduling, work_pools
from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import flow_runs, run_states
from cadenza.store.urls import prepare

MINUTE = {"interval": 60.0, "anchor_date": "2020-01-01T00:00:00+00:00", "timezone": "UTC"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cadenza.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    prepare(url)
    database = SqlDatabase(url)
    yield database
    database.close()


def _deploy(db: SqlDatabase, **spec: object) -> dict:
    base = {"flow_name": "etl", "name": "nightly", "entrypoint": "flows.py:etl",
            "parameters": {"n": 1}, "schedules": [{"schedule": MINUTE}]}  # fmt: skip
    with db.write() as conn:
        return deployments.apply_deployment(conn, {**base, **spec})


def _runs(db: SqlDatabase) -> list[dict]:
    with db.read() as conn:
        rows = conn.execute(
            sa.select(flow_runs).order_by(flow_runs.c.expected_start_time)
        ).mappings()
        return [dict(r) for r in rows]


def test_the_scheduler_creates_the_next_slots_once(db: SqlDatabase) -> None:
    deployment = _deploy(db)
    now = time.time()
    made = scheduling.schedule_runs(db, now=now, max_runs=10)
    assert made == 10
    assert scheduling.schedule_runs(db, now=now, max_runs=10) == 0  # idempotent
    runs = _runs(db)
    assert len(runs) == 10
    times = [r["expected_start_time"] for r in runs]
    assert all(t > now and t % 60 == 0 for t in times)  # aligned to the anchor, in the future
    assert times == sorted(set(times))
    assert {r["deployment_id"] for r in runs} == {deployment["id"]}
    assert {(r["state_type"], r["state_name"]) for r in runs} == {("SCHEDULED", "Scheduled")}
    assert json.loads(runs[0]["parameters"]) == {"n": 1}
    with db.read() as conn:
        first = conn.execute(
            sa.select(run_states).where(run_states.c.run_id == runs[0]["id"])
        ).one()
    assert json.loads(first.details) == {"scheduled_time": times[0]}


def test_two_schedulers_at_once_never_duplicate_a_slot(db: SqlDatabase) -> None:
    _deploy(db)
    now = time.time()
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            other = SqlDatabase(db.url)
            try:
                for _ in range(5):
                    scheduling.schedule_runs(other, now=now, max_runs=50)
            finally:
                other.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    runs = _runs(db)
    assert len(runs) == 50
    assert len({r["idempotency_key"] for r in runs}) == 50


def test_catchup_off_skips_the_slots_missed_in_an_outage(db: SqlDatabase) -> None:
    _deploy(db, catchup=False, late_after=15)
    start = time.time() - 7200  # the runs were made two hours ago, then nothing ran
    scheduling.schedule_runs(db, now=start, max_runs=100)
    now = start + 3600  # an hour later: 60 slots passed unrun
    missed = [r for r in _runs(db) if r["expected_start_time"] < now - 15]
    assert len(missed) in (59, 60)  # an hour of minutes, as the slots fall
    marked = scheduling.mark_late(db, now=now)
    assert marked == {"skipped": len(missed) - 1, "late": 1}
    runs = _runs(db)
    past = [r for r in runs if r["expected_start_time"] < now - 15]
    skipped = [r for r in past if (r["state_type"], r["state_name"]) == ("CANCELLED", "Skipped")]
    assert len(skipped) == len(missed) - 1
    latest = past[-1]
    assert (latest["state_type"], latest["state_name"]) == ("SCHEDULED", "Late")
    # the scheduler does not fill the gap, and only the latest missed one can be claimed
    assert scheduling.schedule_runs(db, now=now, max_runs=100) > 0
    due_now = [r["id"] for r in _runs(db) if now - 15 <= r["expected_start_time"] <= now]
    with db.write() as conn:
        got = work_pools.claim_runs(conn, dialect=db.engine.dialect.name, claimant="w",
                                    lease_seconds=60, limit=100,
                                    deployment_ids=[latest["deployment_id"]], now=now)  # fmt: skip
    claimed = [r["id"] for r in got["runs"]]
    assert claimed == [latest["id"], *due_now]  # none of the skipped ones


def test_catchup_on_runs_every_missed_slot(db: SqlDatabase) -> None:
    deployment = _deploy(db, catchup=True, late_after=15)
    start = time.time() - 7200
    scheduling.schedule_runs(db, now=start, max_runs=5)  # only five made before the outage
    now = start + 3600
    created = scheduling.schedule_runs(db, now=now, max_runs=100)
    assert created >= 55  # the missed slots, made after the outage
    marked = scheduling.mark_late(db, now=now)
    assert marked["skipped"] == 0 and marked["late"] >= 59
    with db.write() as conn:
        got = work_pools.claim_runs(conn, dialect=db.engine.dialect.name, claimant="w",
                                    lease_seconds=60, limit=1000,
                                    deployment_ids=[deployment["id"]], now=now)  # fmt: skip
    claimed = [r["expected_start_time"] for r in got["runs"]]
    assert len(claimed) >= 59 and claimed == sorted(claimed)  # oldest first


def test_pausing_or_changing_schedules_removes_runs_not_started(db: SqlDatabase) -> None:
    deployment = _deploy(db)
    scheduling.schedule_runs(db, max_runs=10)
    with db.write() as conn:
        manual, _ = deployments.create_flow_run(conn, deployment, dialect=db.engine.dialect.name)
        deployments.set_paused(conn, deployment["id"], True)
    assert [r["id"] for r in _runs(db)] == [manual["id"]]  # a run asked for by hand stays
    assert scheduling.schedule_runs(db) == 0  # paused: nothing scheduled
    with db.write() as conn:
        deployments.set_paused(conn, deployment["id"], False)
    assert scheduling.schedule_runs(db, max_runs=3) == 3
    hourly = {"cron": "0 * * * *", "timezone": "UTC", "day_or": True}
    _deploy(db, schedules=[{"schedule": hourly}])
    runs = _runs(db)
    assert [r["id"] for r in runs] == [manual["id"]]
    assert scheduling.schedule_runs(db, max_runs=3) == 3
    assert all(r["expected_start_time"] % 3600 == 0 for r in _runs(db) if r["auto_scheduled"])


def test_claims_respect_pools_queues_and_concurrency_limits(db: SqlDatabase) -> None:
    dialect = db.engine.dialect.name
    with db.write() as conn:
        work_pools.create_pool(conn, "pool", concurrency_limit=None)
        with pytest.raises(ObjectAlreadyExists):
            work_pools.create_pool(conn, "pool")
        work_pools.create_queue(conn, "pool", "urgent", priority=0)
    deployment = _deploy(db, work_pool_name="pool", schedules=[], concurrency_limit=2)
    urgent = _deploy(db, name="urgent", work_pool_name="pool", work_queue_name="urgent",
                     schedules=[])  # fmt: skip
    past = time.time() - 10
    with db.write() as conn:
        for _ in range(3):
            deployments.create_flow_run(conn, deployment, dialect=dialect, scheduled_time=past)
        hot, _ = deployments.create_flow_run(conn, urgent, dialect=dialect, scheduled_time=past + 5)
        later, _ = deployments.create_flow_run(conn, urgent, dialect=dialect,
                                               scheduled_time=time.time() + 30)  # fmt: skip
        got = work_pools.claim_runs(conn, dialect=dialect, claimant="w1", lease_seconds=60,
                                    limit=10, pool="pool")  # fmt: skip
    ids = [r["id"] for r in got["runs"]]
    assert ids[0] == hot["id"]  # the higher-priority queue first
    assert len(ids) == 3  # the urgent one and two of the deployment limited to 2
    assert got["next_due"] == pytest.approx(later["expected_start_time"])
    assert all(r["deployment"]["entrypoint"] == "flows.py:etl" for r in got["runs"])
    with db.write() as conn:
        again = work_pools.claim_runs(conn, dialect=dialect, claimant="w2", lease_seconds=60,
                                      limit=10, pool="pool")  # fmt: skip
        assert again["runs"] == []  # the limit holds; nothing is claimed twice
        work_pools.set_pool_paused(conn, "pool", True)
        assert work_pools.claim_runs(conn, dialect=dialect, claimant="w2", lease_seconds=60,
                                     limit=10, pool="pool")["runs"] == []  # fmt: skip
        with pytest.raises(ObjectNotFound):
            work_pools.claim_runs(conn, dialect=dialect, claimant="w", lease_seconds=60,
                                  limit=1, pool="nope")  # fmt: skip
    states = {(r["state_type"], r["worker_name"]) for r in _runs(db) if r["id"] in ids}
    assert states == {("PENDING", "w1")}


def test_concurrent_claims_hand_each_run_to_one_claimant(db: SqlDatabase) -> None:
    dialect = db.engine.dialect.name
    with db.write() as conn:
        work_pools.create_pool(conn, "pool")
    deployment = _deploy(db, work_pool_name="pool", schedules=[])
    past = time.time() - 1
    with db.write() as conn:
        for _ in range(200):
            deployments.create_flow_run(conn, deployment, dialect=dialect, scheduled_time=past)
    claimed: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        other = SqlDatabase(db.url)
        try:
            while True:
                with other.write() as conn:
                    got = work_pools.claim_runs(conn, dialect=dialect, claimant=name,
                                                lease_seconds=60, limit=7, pool="pool")  # fmt: skip
                if not got["runs"]:
                    return
                with lock:
                    claimed.extend(r["id"] for r in got["runs"])
        finally:
            other.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 200 and len(set(claimed)) == 200


def test_run_parameters_are_checked_against_the_flow(db: SqlDatabase) -> None:
    deployment = _deploy(
        db, schedules=[], parameter_schema={"properties": {"n": {}}, "required": []}
    )
    with db.write() as conn:
        with pytest.raises(ValueError, match=r"takes no parameter.*bogus"):
            deployments.create_flow_run(conn, deployment, dialect=db.engine.dialect.name,
                                        parameters={"bogus": 1})  # fmt: skip
        run, created = deployments.create_flow_run(
            conn, deployment, dialect=db.engine.dialect.name, parameters={"n": 5},
            idempotency_key="k",
        )  # fmt: skip
        again, created_again = deployments.create_flow_run(
            conn, deployment, dialect=db.engine.dialect.name, idempotency_key="k"
        )
    assert created and not created_again and again["id"] == run["id"]
    assert run["parameters"] == {"n": 5}


def test_a_run_claimed_meanwhile_is_not_marked_late_again(db: SqlDatabase) -> None:
    """mark_late reads the overdue runs, then locks them: a run a worker claimed in between is
    Pending, and Pending -> Scheduled (Late) would let a second worker claim it."""
    dialect = db.engine.dialect.name
    deployment = _deploy(db, schedules=[], late_after=0)
    with db.write() as conn:
        run, _ = deployments.create_flow_run(conn, deployment, dialect=dialect,
                                             scheduled_time=time.time() - 60)  # fmt: skip
    real_load = scheduling.load_runs

    def claim_then_load(conn, table, kind, ids):  # the claim lands between the two reads
        other = SqlDatabase(db.url)
        try:
            with other.write() as claim_conn:
                work_pools.claim_runs(claim_conn, dialect=dialect, claimant="w1",
                                      lease_seconds=60, limit=1,
                                      deployment_ids=[deployment["id"]])  # fmt: skip
        finally:
            other.close()
        return real_load(conn, table, kind, ids)

    if dialect == "sqlite":  # one writer at a time: the claim cannot land inside mark_late
        with db.write() as conn:
            work_pools.claim_runs(conn, dialect=dialect, claimant="w1", lease_seconds=60,
                                  limit=1, deployment_ids=[deployment["id"]])  # fmt: skip
    else:
        scheduling.load_runs = claim_then_load
    try:
        assert scheduling.mark_late(db) == {"late": 0, "skipped": 0}
    finally:
        scheduling.load_runs = real_load
    with db.write() as conn:
        again = work_pools.claim_runs(conn, dialect=dialect, claimant="w2", lease_seconds=60,
                                      limit=1, deployment_ids=[deployment["id"]])  # fmt: skip
    assert again["runs"] == []
    assert [(r["state_type"], r["worker_name"]) for r in _runs(db)] == [("PENDING", "w1")]
    assert run["id"] == _runs(db)[0]["id"]
