"""dashboard_queries: the dashboard's read routes on a record of 100,000 flow runs.

A child (workloads/dashboard_reads.py) bulk-inserts the record — 100,000 flow runs over 30 days
with 2 log lines each, and one flow run with 10,000 task runs (10,000 runs and 2,000 task runs
with ``--quick``) — into a fresh SQLite file, and into a throwaway PostgreSQL cluster when its
binaries are installed (``cadenza.testing.postgres``), then times each route through the app
in-process (no network): runs list pages (first, second, 20,000 runs deep, by state, by flow, by
deployment, by tag), the history chart (24 h and 30 days), the timeline and a log search. A
second child (workloads/dashboard_log_search.py) times the Logs page's search across runs on a
record of 1,000,000 log lines (100,000 with ``--quick``): common, rare and absent words, a level,
a flow, a run, a time window. Targets (issue 16): runs list p95 ≤ 50 ms at 100,000 runs, the
server's part of a 10,000-task timeline ≤ 150 ms, and a log search ≤ 1 s at 1,000,000 lines.
Cadenza only.
"""

from __future__ import annotations

from typing import Any

from harness import BenchResult, Config, Row, Target, cadenza_env, run, temp_home, workload

NAME = "dashboard_queries"
MAX_LIST_P95_MS = 50.0
MAX_TIMELINE_MS = 150.0
MAX_LOG_SEARCH_MS = 1_000.0
LOG_CASES = (
    "logs_newest",
    "logs_common_word",
    "logs_rare_word",
    "logs_absent_word",
    "logs_errors",
    "logs_flow_word",
    "logs_run_word",
    "logs_last_hour_word",
    "logs_a_week_ago",
)
LIST_CASES = (
    "page_first",
    "page_second",
    "page_deep",
    "page_state",
    "page_rare_state",
    "page_flow",
    "page_flow_state",
    "page_deployment",
    "page_tag",
)
OTHER_CASES = ("page_500", "history_24h", "history_30d", "timeline", "logs_search")


def _measure(python: str, urls: tuple[str, str], sizes: tuple[int, ...], home: Any) -> dict:
    """The figures of both children: dashboard_reads on ``urls[0]``, dashboard_log_search on
    ``urls[1]`` (a record of its own); `sizes`: runs, tasks, log lines, repeats."""
    runs, tasks, lines, repeats = sizes
    cmd = workload(python, "dashboard_reads.py", urls[0], runs, tasks, repeats)
    found = run(cmd, cadenza_env(home), timeout=900.0).result()
    cmd = workload(python, "dashboard_log_search.py", urls[1], lines, repeats)
    return {**found, **run(cmd, cadenza_env(home), timeout=900.0).result()}


def _postgres(python: str, sizes: tuple[int, ...]) -> dict[str, Any] | None:
    from cadenza.testing.postgres import start_cluster  # deferred: run.py imports us without it

    try:
        cluster = start_cluster()
    except RuntimeError:
        return None  # no PostgreSQL binaries here: SQLite's figures only
    try:
        with temp_home("cadenza-dash-pg") as home:
            urls = (cluster.create_database(), cluster.create_database())
            return _measure(python, urls, sizes, home)
    finally:
        cluster.stop()


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    runs, tasks, repeats = (10_000, 2_000, 10) if cfg.quick else (100_000, 10_000, 40)
    lines = 100_000 if cfg.quick else 1_000_000
    sizes = (runs, tasks, lines, repeats)
    found: dict[str, dict[str, Any] | None] = {"SQLite": None, "PostgreSQL": None}
    try:
        with temp_home("cadenza-dash") as home:
            urls = (f"sqlite:///{home / 'dash.db'}", f"sqlite:///{home / 'logs.db'}")
            found["SQLite"] = _measure(cfg.cadenza_python, urls, sizes, home)
    except Exception as exc:
        res.errors.append(f"cadenza (SQLite): {exc}")
    try:
        found["PostgreSQL"] = _postgres(cfg.cadenza_python, sizes)
    except Exception as exc:
        res.errors.append(f"cadenza (PostgreSQL): {exc}")
    res.data = {k: v for k, v in found.items() if v is not None}
    for db, data in found.items():
        if data is None:
            continue
        res.rows.append(
            Row(f"{db}: flow runs / task runs in the record", f"{runs} / {tasks}", None, None, "{}")
        )
        for case in (*LIST_CASES, *OTHER_CASES, *LOG_CASES):
            res.rows.append(
                Row(f"{db}: {case} p95 (ms)", data[case]["p95_ms"], None, None, "{:.1f}")
            )
        worst = max(data[case]["p95_ms"] for case in LIST_CASES)
        skipped = None if not cfg.quick else "quick run: not 100,000 runs"
        res.targets.append(
            Target(
                f"{db}: runs list p95, worst filter, 100k runs",
                worst,
                MAX_LIST_P95_MS,
                "<=",
                "ms",
                skipped,
            )
        )
        res.targets.append(
            Target(
                f"{db}: 10,000-task timeline, server p95",
                data["timeline"]["p95_ms"],
                MAX_TIMELINE_MS,
                "<=",
                "ms",
                skipped,
            )
        )
        res.targets.append(
            Target(
                f"{db}: log search across runs p95, worst case, 1M lines",
                max(data[case]["p95_ms"] for case in LOG_CASES),
                MAX_LOG_SEARCH_MS,
                "<=",
                "ms",
                None if not cfg.quick else "quick run: not 1,000,000 log lines",
            )
        )
    return res
