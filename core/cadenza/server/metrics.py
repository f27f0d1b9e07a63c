"""The server's per-process metrics: what this process ingested and did (docs/howto/metrics.md).

Counters and histograms here count the requests and service rounds of THIS server process
only: several server processes on one PostgreSQL each count their own, and Prometheus tells
them apart by its ``instance`` label (sum them for the whole deployment). They start at zero
when the process starts. What the record holds (runs by state, leases, workers, due runs) is
not counted here but read from the database at scrape time (`cadenza.server.metrics_record`),
so every process answers the same figures for it.

The instruments are created unregistered; `cadenza.server.metrics_routes` registers them in
the registry of each app it serves. This module is the only one besides that and
`cadenza.server.metrics_record` to import prometheus_client, and only the server imports it.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

from cadenza.orchestration import Decision, DecisionKind
from cadenza.store.run_records import ALREADY_APPLIED

#: The ingest routes a transition can come through.
ROUTES = ("batch", "set_state")
#: What became of an ingested transition.
OUTCOMES = ("accepted", "duplicate", "rejected")
#: The requests a client may send again from its journal (`cadenza.client.spool`).
REPLAYED_OPS = ("flow_run", "set_state", "batch")
#: What the reaper does (`cadenza.server.reaper`).
REAPER_ACTIONS = ("lease_expired", "cancellation_expired", "suspension_expired")

BATCH_RECORDS_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
BATCH_SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                         5.0, 10.0, 30.0)  # fmt: skip

TRANSITIONS = Counter(
    "cadenza_ingested_transitions",
    "Run transitions received by this server process through POST /api/batch (task runs') "
    "and POST /api/{flow,task}_runs/{id}/set_state, by route and outcome.",
    ["route", "outcome"],
    registry=None,
)
BATCH_RECORDS = Histogram(
    "cadenza_ingest_batch_records",
    "Records (task runs, transitions, log lines, artifacts, artifact updates, cache entries, "
    "events) in each POST /api/batch this server process applied.",
    buckets=BATCH_RECORDS_BUCKETS,
    registry=None,
)
BATCH_SECONDS = Histogram(
    "cadenza_ingest_batch_seconds",
    "Seconds this server process took to apply each POST /api/batch (its one transaction, "
    "waiting for the database included).",
    buckets=BATCH_SECONDS_BUCKETS,
    registry=None,
)
REPLAYED = Counter(
    "cadenza_journal_replayed_requests",
    "Requests that clients sent this server process again from their journal (written while "
    "the server was unreachable), by request.",
    ["op"],
    registry=None,
)
REAPED = Counter(
    "cadenza_reaper_actions",
    "Flow runs this server process's reaper ended, by action.",
    ["action"],
    registry=None,
)

# No `*_created` series beside each counter and histogram: a process's start time is not worth
# a second series per counter, and the names stay those of docs/howto/metrics.md. (The setting
# is prometheus_client's, process-wide: only the server imports it.)
disable_created_metrics()

INSTRUMENTS = (TRANSITIONS, BATCH_RECORDS, BATCH_SECONDS, REPLAYED, REAPED)

# Every series exists from the start (at 0), so that rate() and absent() work before the first.
for _route in ROUTES:
    for _outcome in OUTCOMES:
        TRANSITIONS.labels(_route, _outcome)
for _op in REPLAYED_OPS:
    REPLAYED.labels(_op)
for _action in REAPER_ACTIONS:
    REAPED.labels(_action)


def batch_applied(records: int, seconds: float, result: dict) -> None:
    """Count a batch applied in `seconds`: its `records` and its transitions' outcomes
    (`result` is `cadenza.server.store.Store.apply_batch`'s answer)."""
    BATCH_RECORDS.observe(records)
    BATCH_SECONDS.observe(seconds)
    TRANSITIONS.labels("batch", "accepted").inc(result["accepted"])
    TRANSITIONS.labels("batch", "duplicate").inc(result["duplicates"])
    TRANSITIONS.labels("batch", "rejected").inc(len(result["rejected"]))


def state_proposed(decision: Decision) -> None:
    """Count one transition proposed through a ``set_state`` route, by its decision."""
    if decision.kind is not DecisionKind.ACCEPT:
        outcome = "rejected"
    elif decision.reason == ALREADY_APPLIED:
        outcome = "duplicate"
    else:
        outcome = "accepted"
    TRANSITIONS.labels("set_state", outcome).inc()


def replayed(op: str) -> None:
    """Count one request a client sent again from its journal."""
    REPLAYED.labels(op).inc()


def reaped(action: str, runs: int) -> None:
    """Count `runs` flow runs the reaper ended by `action` (one of `REAPER_ACTIONS`)."""
    if runs:
        REAPED.labels(action).inc(runs)


__all__ = [
    "INSTRUMENTS",
    "OUTCOMES",
    "REAPER_ACTIONS",
    "REPLAYED_OPS",
    "ROUTES",
    "batch_applied",
    "reaped",
    "replayed",
    "state_proposed",
]
