"""The record's metrics, read from the database at scrape time (docs/howto/metrics.md).

Runs by flow and state, flow-run leases, workers, concurrency leases, due scheduled runs and
the server services' leases are facts of the database, not of a server process:
`RecordCollector` reads them when Prometheus scrapes, so every server process on one database
answers the same figures, and a restarted process loses nothing.

A scrape costs one statement (`STATEMENT`: aggregates joined by UNION ALL, one round trip, one
snapshot), whatever the record holds — on PostgreSQL capped at `STATEMENT_TIMEOUT_MS` — and
every aggregate is grouped by values of which there are few (flows, state types, work pools,
concurrency limits). The flow label is bounded too: past `MAX_FLOWS` flows, the runs of the
flows with the fewest runs are summed under ``flow="_other"``. When the database cannot be read
the scrape still answers, with ``cadenza_record_up 0`` and without the record's figures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cadenza.server import leases
from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import concurrency_leases, flow_runs, service_leases, workers

logger = logging.getLogger("cadenza.server")

MAX_FLOWS = 500
"""At most this many values of the ``flow`` label; the remaining runs are ``flow="_other"``."""
OTHER_FLOWS = "_other"
NO_STATE = "NONE"
"""The ``state`` label of a flow run created without a state yet."""
STATEMENT_TIMEOUT_MS = 5000

_ONE = sa.literal_column("1")
_ZERO = sa.literal_column("0")
_NONE = sa.cast(sa.null(), sa.Text)


@dataclass
class Snapshot:
    """What one scrape read from the record."""

    runs: dict[tuple[str, str], int] = field(default_factory=dict)  # (flow, state) -> runs
    leases_held: int = 0  # active flow runs whose lease has not expired
    leases_expired: int = 0  # active flow runs whose lease expired: the reaper's next work
    workers: dict[tuple[str, str], int] = field(default_factory=dict)  # (pool, status) -> n
    slot_leases: dict[str, int] = field(default_factory=dict)  # limit -> unexpired leases
    due: int = 0  # Scheduled flow runs whose time has come
    oldest_due: float | None = None  # the earliest expected start time among them
    services: dict[str, int] = field(default_factory=dict)  # service -> 1 if its lease is alive


def _kind(name: str) -> Any:
    return sa.literal_column(f"'{name}'").label("kind")


def _value(expr: Any, label: str) -> Any:
    return sa.cast(expr, sa.Float).label(label)


def _count_if(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, _ONE), else_=_ZERO))


def statement(now: float) -> sa.CompoundSelect:
    """The one statement a scrape runs: rows of (kind, a, b, x, y), each kind one aggregate."""
    at = sa.bindparam("now", now, type_=sa.Float)
    runs = sa.select(
        _kind("runs"),
        flow_runs.c.flow_name.label("a"),
        flow_runs.c.state_type.label("b"),
        _value(sa.func.count(), "x"),
        _value(sa.null(), "y"),
    ).group_by(flow_runs.c.flow_name, flow_runs.c.state_type)
    leased = sa.select(
        _kind("leases"),
        _NONE.label("a"),
        _NONE.label("b"),
        _value(_count_if(flow_runs.c.lease_expires >= at), "x"),
        _value(sa.func.count(), "y"),
    ).where(
        flow_runs.c.lease_expires.is_not(None),
        leases._ACTIVE,  # the reaper's own conditions: what it would mark Crashed
        leases._NOT_SUSPENDED,
    )
    pools = sa.select(
        _kind("workers"),
        workers.c.pool_name.label("a"),
        _NONE.label("b"),
        _value(_count_if(workers.c.lease_expires > at), "x"),
        _value(sa.func.count(), "y"),
    ).group_by(workers.c.pool_name)
    slots = (
        sa.select(
            _kind("slots"),
            concurrency_leases.c.limit_name.label("a"),
            _NONE.label("b"),
            _value(sa.func.count(), "x"),
            _value(sa.null(), "y"),
        )
        .where(concurrency_leases.c.expires > at)
        .group_by(concurrency_leases.c.limit_name)
    )
    due = sa.select(
        _kind("due"),
        _NONE.label("a"),
        _NONE.label("b"),
        _value(sa.func.count(), "x"),
        _value(sa.func.min(flow_runs.c.expected_start_time), "y"),
    ).where(  # by the index on (state_type, expected_start_time)
        flow_runs.c.state_type == "SCHEDULED", flow_runs.c.expected_start_time <= at
    )
    services = sa.select(
        _kind("services"),
        service_leases.c.name.label("a"),
        _NONE.label("b"),
        _value(_count_if(service_leases.c.expires > at), "x"),
        _value(sa.null(), "y"),
    ).group_by(service_leases.c.name)
    return sa.union_all(runs, leased, pools, slots, due, services)


def read_snapshot(db: SqlDatabase, now: float | None = None) -> tuple[Snapshot, int]:
    """The record's figures at `now`, and how many SQL statements reading them took."""
    now = time.time() if now is None else now
    sent = 0

    def count(*_args: Any) -> None:
        nonlocal sent
        sent += 1

    snapshot = Snapshot()
    with db.read() as conn:
        sa.event.listen(conn, "before_cursor_execute", count)
        if conn.dialect.name == "postgresql":  # a scrape never holds the database for long
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        rows = conn.execute(statement(now)).all()
    for kind, a, b, x, y in rows:
        if kind == "runs":
            snapshot.runs[(a, b or NO_STATE)] = int(x)
        elif kind == "leases":
            held, total = int(x or 0), int(y or 0)
            snapshot.leases_held, snapshot.leases_expired = held, total - held
        elif kind == "workers":
            online = int(x or 0)
            snapshot.workers[(a, "online")] = online
            snapshot.workers[(a, "offline")] = int(y) - online
        elif kind == "slots":
            snapshot.slot_leases[a] = int(x)
        elif kind == "due":
            snapshot.due, snapshot.oldest_due = int(x or 0), y
        elif kind == "services":
            snapshot.services[a] = int(x or 0)
    snapshot.runs = bounded_flows(snapshot.runs)
    return snapshot, sent


def bounded_flows(
    runs: dict[tuple[str, str], int], limit: int = MAX_FLOWS
) -> dict[tuple[str, str], int]:
    """`runs` with at most `limit` flows named: those with the most runs (then by name); the
    runs of the others summed by state under `OTHER_FLOWS`."""
    totals: dict[str, int] = {}
    for (flow, _state), n in runs.items():
        totals[flow] = totals.get(flow, 0) + n
    if len(totals) <= limit:
        return runs
    kept = set(sorted(totals, key=lambda f: (-totals[f], f))[: limit - 1])
    bounded: dict[tuple[str, str], int] = {}
    for (flow, state), n in runs.items():
        key = (flow if flow in kept else OTHER_FLOWS, state)
        bounded[key] = bounded.get(key, 0) + n
    return bounded


class RecordCollector(Collector):
    """A prometheus_client collector of the record's figures, read at each scrape."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        now = time.time()
        snapshot: Snapshot | None = None
        statements = 0
        try:
            snapshot, statements = read_snapshot(self.db, now)
        except Exception as exc:  # the scrape answers; the gap shows as cadenza_record_up 0
            logger.warning("/metrics could not read the record: %s", exc)
        seconds = time.perf_counter() - started
        yield _gauge("cadenza_record_up", "1 if this scrape read the record, else 0.",
                     1.0 if snapshot is not None else 0.0)  # fmt: skip
        yield _gauge("cadenza_record_scrape_seconds",
                     "Seconds this scrape took to read the record.", seconds)  # fmt: skip
        yield _gauge("cadenza_record_scrape_statements",
                     "SQL statements this scrape sent to read the record.", statements)  # fmt: skip
        if snapshot is not None:
            yield from _record_metrics(snapshot, now)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _record_metrics(snapshot: Snapshot, now: float) -> Iterator[Metric]:
    runs = GaugeMetricFamily(
        "cadenza_flow_runs",
        "Flow runs in the record, by flow name and state type.",
        labels=["flow", "state"],
    )
    for (flow, state), n in sorted(snapshot.runs.items()):
        runs.add_metric([flow, state], n)
    yield runs
    held = GaugeMetricFamily(
        "cadenza_flow_run_leases",
        "Active flow runs with a lease, by status: held (not expired) or expired (the reaper "
        "marks them Crashed at its next round).",
        labels=["status"],
    )
    held.add_metric(["held"], snapshot.leases_held)
    held.add_metric(["expired"], snapshot.leases_expired)
    yield held
    pools = GaugeMetricFamily(
        "cadenza_workers",
        "Workers known to the record, by work pool and status (online: lease not expired).",
        labels=["pool", "status"],
    )
    for (pool, status), n in sorted(snapshot.workers.items()):
        pools.add_metric([pool, status], n)
    yield pools
    slots = GaugeMetricFamily(
        "cadenza_concurrency_leases",
        "Unexpired leases on each concurrency limit's slots.",
        labels=["limit"],
    )
    for limit, n in sorted(snapshot.slot_leases.items()):
        slots.add_metric([limit], n)
    yield slots
    yield _gauge(
        "cadenza_scheduled_runs_due",
        "Scheduled flow runs whose expected start time has passed and that have not started.",
        snapshot.due,
    )
    held_services = GaugeMetricFamily(
        "cadenza_service_lease_held",
        "1 for each server service (scheduler, reaper, retention, ...) whose lease a live server "
        "process holds, 0 for one whose lease expired: no process runs it.",
        labels=["service"],
    )
    for name, held_now in sorted(snapshot.services.items()):
        held_services.add_metric([name], min(held_now, 1))
    yield held_services
    lag = 0.0 if snapshot.oldest_due is None else max(0.0, now - snapshot.oldest_due)
    yield _gauge(
        "cadenza_scheduler_lag_seconds",
        "Seconds the longest-waiting due Scheduled flow run has waited past its expected start "
        "time (0 when none is due).",
        lag,
    )


__all__ = [
    "MAX_FLOWS",
    "NO_STATE",
    "OTHER_FLOWS",
    "STATEMENT_TIMEOUT_MS",
    "RecordCollector",
    "Snapshot",
    "bounded_flows",
    "read_snapshot",
    "statement",
]
