"""The record's metrics (`cadenza.server.metrics_record`): read with one statement whatever the
record holds, and equal to what the database says — on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from cadenza.server.metrics_record import (
    OTHER_FLOWS,
    RecordCollector,
    bounded_flows,
    read_snapshot,
    statement,
)
from cadenza.server.store import Store
from cadenza.store import urls
from cadenza.store.tables import concurrency_leases, flow_runs, service_leases, workers

STATES = ("COMPLETED", "FAILED", "RUNNING", "SCHEDULED", "PAUSED", "CRASHED", None)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, db_url: str) -> Iterator[Store]:
    url = db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    urls.prepare(url)
    opened = Store(url)
    yield opened
    opened.close()


def _fill(store: Store, runs: int, now: float) -> None:
    """`runs` flow runs over 5 flows and every kind of state; leases held, expired, suspended;
    due and future scheduled runs; workers online and offline; concurrency leases."""
    rows: list[dict[str, Any]] = []
    for i in range(runs):
        state = STATES[i % len(STATES)]
        row: dict[str, Any] = {
            "id": f"run-{i:06d}", "name": f"r{i}", "flow_name": f"flow-{i % 5}",
            "created": now - i, "state_type": state, "state_name": None,
            "lease_expires": None, "expected_start_time": None,
        }  # fmt: skip
        if state == "RUNNING":
            row["lease_expires"] = now + 60 if i % 2 else now - 60  # held / expired
        elif state == "PAUSED":
            row["state_name"] = "Suspended" if i % 2 else "Paused"
            row["lease_expires"] = now - 60  # a suspended run's lapse is no crash
        elif state == "COMPLETED":
            row["lease_expires"] = now - 60  # a final run's old lease is nobody's
        elif state == "SCHEDULED":
            row["expected_start_time"] = now - (i % 300) if i % 3 else now + 600
        rows.append(row)
    with store.write() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(flow_runs.insert(), rows[start : start + 5000])
        conn.execute(workers.insert(), [
            {"id": f"w{i}", "pool_name": f"pool-{i % 2}", "name": f"w{i}", "last_heartbeat": now,
             "lease_expires": now + 30 if i % 3 else now - 30, "created": now}
            for i in range(7)
        ])  # fmt: skip
        conn.execute(concurrency_leases.insert(), [
            {"id": f"l{i}", "limit_name": f"limit-{i % 2}", "slots": 1,
             "expires": now + 30 if i % 4 else now - 30, "created": now}
            for i in range(9)
        ])  # fmt: skip
        conn.execute(service_leases.insert(), [
            {"name": name, "holder": f"host:{i}:x", "host": "host", "pid": i,
             "expires": now + 30 if i % 2 else now - 30, "acquired": now - 60}
            for i, name in enumerate(["scheduler", "reaper", "retention"])
        ])  # fmt: skip


def _database_says(store: Store, now: float) -> dict[str, Any]:
    """The same figures, each by its own plain query."""
    with store.engine.connect() as conn:

        def one(sql: str) -> Any:
            return conn.execute(sa.text(sql), {"now": now}).scalar()

        runs = {
            (flow, state or "NONE"): n
            for flow, state, n in conn.execute(sa.text(
                "SELECT flow_name, state_type, count(*) FROM flow_runs GROUP BY 1, 2"
            ))
        }  # fmt: skip
        active = ("lease_expires IS NOT NULL AND (state_type IS NULL OR state_type NOT IN "
                  "('COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED')) AND NOT (state_type = "
                  "'PAUSED' AND state_name = 'Suspended')")  # fmt: skip
        pools = {
            (pool, status): n
            for pool, status, n in conn.execute(sa.text(
                "SELECT pool_name, CASE WHEN lease_expires > :now THEN 'online' ELSE 'offline' "
                "END, count(*) FROM workers GROUP BY 1, 2"
            ), {"now": now})
        }  # fmt: skip
        slots = dict(conn.execute(sa.text(
            "SELECT limit_name, count(*) FROM concurrency_leases WHERE expires > :now GROUP BY 1"
        ), {"now": now}).all())  # fmt: skip
        services = dict(conn.execute(sa.text(
            "SELECT name, CASE WHEN expires > :now THEN 1 ELSE 0 END FROM service_leases"
        ), {"now": now}).all())  # fmt: skip
        due = "FROM flow_runs WHERE state_type = 'SCHEDULED' AND expected_start_time <= :now"
        leased = f"SELECT count(*) FROM flow_runs WHERE {active} AND lease_expires"
        return {
            "runs": runs,
            "held": one(f"{leased} >= :now"),
            "expired": one(f"{leased} < :now"),
            "workers": pools,
            "slots": slots,
            "services": services,
            "due": one(f"SELECT count(*) {due}"),
            "oldest_due": one(f"SELECT min(expected_start_time) {due}"),
        }  # fmt: skip


def test_the_snapshot_is_what_the_database_holds(store: Store) -> None:
    now = time.time()
    _fill(store, 2000, now)
    snapshot, _ = read_snapshot(store, now)
    expected = _database_says(store, now)
    assert snapshot.runs == expected["runs"]
    assert sum(snapshot.runs.values()) == 2000
    leases = (snapshot.leases_held, snapshot.leases_expired)
    assert leases == (expected["held"], expected["expired"])
    assert snapshot.leases_held > 0 and snapshot.leases_expired > 0
    assert {k: v for k, v in snapshot.workers.items() if v} == expected["workers"]
    assert snapshot.slot_leases == expected["slots"]
    assert snapshot.services == expected["services"]
    assert snapshot.services == {"scheduler": 0, "reaper": 1, "retention": 0}
    assert snapshot.due == expected["due"] > 0
    assert snapshot.oldest_due == pytest.approx(expected["oldest_due"])


def test_a_scrape_sends_two_statements_however_many_runs(store: Store) -> None:
    sent: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    now = time.time()
    _fill(store, 10, now)
    sent.clear()
    _, reported = read_snapshot(store, now)
    small = list(sent)
    assert len(small) == reported == 2, small  # BEGIN or the timeout, then the one query

    with store.write() as conn:
        for table in (flow_runs, workers, concurrency_leases, service_leases):
            conn.execute(table.delete())
    _fill(store, 50_000, now)
    sent.clear()
    started = time.perf_counter()
    snapshot, reported = read_snapshot(store, now)
    seconds = time.perf_counter() - started
    assert len(sent) == reported == 2, sent
    assert sent == small  # the same statement text, whatever the record holds
    assert sum(snapshot.runs.values()) == 50_000
    assert len(snapshot.runs) == 5 * len(STATES)  # one row per flow and state, not per run
    assert seconds < 5.0, f"reading the record's figures over 50,000 runs took {seconds:.2f} s"


def test_the_collector_answers_when_the_record_cannot_be_read(store: Store) -> None:
    collector = RecordCollector(store)
    names = {family.name: family for family in collector.collect()}
    assert names["cadenza_record_up"].samples[0].value == 1.0
    assert "cadenza_flow_runs" in names
    with store.write() as conn:
        conn.execute(sa.text("DROP TABLE concurrency_leases"))
    names = {family.name: family for family in collector.collect()}
    assert names["cadenza_record_up"].samples[0].value == 0.0
    assert "cadenza_flow_runs" not in names  # absent rather than wrong
    assert names["cadenza_record_scrape_statements"].samples[0].value == 0.0


def test_past_the_flow_bound_the_smallest_flows_are_summed_as_other() -> None:
    runs = {(f"f{i}", "COMPLETED"): 100 - i for i in range(10)}
    runs[("f0", "FAILED")] = 5
    runs[("f9", "FAILED")] = 2
    bounded = bounded_flows(runs, limit=4)
    assert {flow for flow, _ in bounded} == {"f0", "f1", "f2", OTHER_FLOWS}
    assert bounded[(OTHER_FLOWS, "COMPLETED")] == sum(100 - i for i in range(3, 10))
    assert bounded[(OTHER_FLOWS, "FAILED")] == 2
    assert sum(bounded.values()) == sum(runs.values())
    assert bounded_flows(runs, limit=10) == runs


def test_on_sqlite_the_runs_by_flow_and_state_are_read_from_an_index(db_url: str) -> None:
    urls.prepare(db_url)
    opened = Store(db_url)
    try:
        with opened.engine.connect() as conn:
            compiled = statement(time.time()).compile(conn, compile_kwargs={"literal_binds": True})
            plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
    finally:
        opened.close()
    assert "SCAN flow_runs USING COVERING INDEX ix_flow_runs_flow_state" in plan, plan
