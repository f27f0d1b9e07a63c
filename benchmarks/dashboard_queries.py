"""dashboard_queries: the dashboard's read routes on a record of 100,000 flow runs.

A child (workloads/dashboard_reads.py) bulk-inserts the record — 100,000 flow runs over 30 days
with 2 log lines each, one flow run with 10,000 task runs, one with 50,000 and one with 1,000,000
log lines (10,000 runs, 2,000 and 10,000 task runs, 100,000 lines with ``--quick``) — into a
fresh SQLite file, and into a throwaway PostgreSQL cluster when its binaries are installed
(``cadenza.testing.postgres``), then times each route through the app in-process (no network):
runs list pages (first, second, 20,000 runs deep, by state, by flow, by deployment, by tag), the
history chart (24 h and 30 days), the two timelines, a log search across runs, and the big log:
its first page, its tail and a search in it. Targets (issue 16): runs list p95 ≤ 50 ms at
100,000 runs, the server's part of a 10,000-task timeline ≤ 150 ms and of a 50,000-task one
≤ 400 ms, a 1,000,000-line log opens (first page, tail) in ≤ 300 ms and a search across it
answers in ≤ 1 s. A second child (workloads/dashboard_log_search.py) times the Logs page's
search across runs on a record of its own of 1,000,000 log lines (100,000 with ``--quick``):
common, rare and absent words, a level, a flow, a run, a time window (target: p95 ≤ 1 s in the
worst case). Cadenza only.

``BENCH_DASHBOARD_RUNS=1000000`` measures a record of that many flow runs instead (target: runs
list p95 ≤ 150 ms at 1,000,000). Its SQLite file is kept in build/bench-dashboard/ and reused by
the next run of the same size (generating it takes minutes on 2 cores; it is only read here).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness import BenchResult, Config, Row, Target, cadenza_env, run, temp_home, workload

NAME = "dashboard_queries"
MAX_LIST_P95_MS = 50.0
MAX_TIMELINE_MS = 150.0
MAX_HUGE_TIMELINE_MS = 400.0
MAX_LIST_P95_1M_MS = 150.0
MAX_LOG_OPEN_MS = 300.0
MAX_LOG_SEARCH_MS = 1000.0
KEPT = Path(__file__).resolve().parents[1] / "build" / "bench-dashboard"
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
BIG_CASES = ("timeline_huge", "run_logs_open", "run_logs_tail", "run_logs_search",
             "run_logs_search_none")  # fmt: skip


def _measure(python: str, urls: tuple[str, str], size: tuple[int, ...], repeats: int,
             home: Any) -> dict:  # fmt: skip
    """The figures of both children: dashboard_reads on ``urls[0]``, dashboard_log_search on
    ``urls[1]`` (a record of its own)."""
    runs, tasks, huge, lines = size
    cmd = workload(python, "dashboard_reads.py", urls[0], runs, tasks, repeats, huge, lines)
    found = run(cmd, cadenza_env(home), timeout=3600.0).result()
    cmd = workload(python, "dashboard_log_search.py", urls[1], lines, repeats)
    return {**found, **run(cmd, cadenza_env(home), timeout=900.0).result()}


def _sqlite(python: str, size: tuple[int, ...], repeats: int) -> dict[str, Any]:
    with temp_home("cadenza-dash") as home:
        logs = f"sqlite:///{home / 'logs.db'}"
        if size[0] <= 100_000:
            return _measure(python, (f"sqlite:///{home / 'dash.db'}", logs), size, repeats, home)
        KEPT.mkdir(parents=True, exist_ok=True)
        path = KEPT / f"dash-{'-'.join(map(str, size))}.db"
        return _measure(python, (f"sqlite:///{path}", logs), size, repeats, home)


def _postgres(python: str, size: tuple[int, ...], repeats: int) -> dict[str, Any] | None:
    from cadenza.testing.postgres import start_cluster  # deferred: run.py imports us without it

    try:
        cluster = start_cluster()
    except RuntimeError:
        return None  # no PostgreSQL binaries here: SQLite's figures only
    try:
        with temp_home("cadenza-dash-pg") as home:
            urls = (cluster.create_database(), cluster.create_database())
            return _measure(python, urls, size, repeats, home)
    finally:
        cluster.stop()


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    runs = int(os.environ.get("BENCH_DASHBOARD_RUNS", "0") or 0)
    size = (10_000, 2_000, 10_000, 100_000) if cfg.quick else (100_000, 10_000, 50_000, 1_000_000)
    size = (runs or size[0], *size[1:])
    runs = size[0]
    repeats = 10 if cfg.quick else 40
    found: dict[str, dict[str, Any] | None] = {"SQLite": None, "PostgreSQL": None}
    try:
        found["SQLite"] = _sqlite(cfg.cadenza_python, size, repeats)
    except Exception as exc:
        res.errors.append(f"cadenza (SQLite): {exc}")
    try:
        found["PostgreSQL"] = _postgres(cfg.cadenza_python, size, repeats)
    except Exception as exc:
        res.errors.append(f"cadenza (PostgreSQL): {exc}")
    res.data = {k: v for k, v in found.items() if v is not None}
    for db, data in found.items():
        if data is None:
            continue
        res.rows.append(
            Row(f"{db}: flow runs / task runs / huge / log lines", "{} / {} / {} / {}".format(
                *size), None, None, "{}")
        )  # fmt: skip
        res.rows.append(Row(f"{db}: fill (s, 0 = reused)", data["fill_s"], None, None, "{:.1f}"))
        for case in (*LIST_CASES, *OTHER_CASES, *BIG_CASES, *LOG_CASES):
            res.rows.append(
                Row(f"{db}: {case} p95 (ms)", data[case]["p95_ms"], None, None, "{:.1f}")
            )
        worst = max(data[case]["p95_ms"] for case in LIST_CASES)
        skipped = None if not cfg.quick else "quick run: not the issue's sizes"
        big = runs >= 1_000_000
        res.targets.append(
            Target(
                f"{db}: runs list p95, worst filter, {runs:,} runs",
                worst,
                MAX_LIST_P95_1M_MS if big else MAX_LIST_P95_MS,
                "<=",
                "ms",
                skipped if runs in (100_000, 1_000_000) else f"{runs:,} runs: no target",
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
        for name, value, limit in (
            ("50,000-task timeline, server p95", data["timeline_huge"]["p95_ms"],
             MAX_HUGE_TIMELINE_MS),
            ("1,000,000-line log opens (first page, tail), p95",
             max(data["run_logs_open"]["p95_ms"], data["run_logs_tail"]["p95_ms"]),
             MAX_LOG_OPEN_MS),
            ("search across a 1,000,000-line log, p95",
             max(data["run_logs_search"]["p95_ms"], data["run_logs_search_none"]["p95_ms"]),
             MAX_LOG_SEARCH_MS),
            ("log search across runs p95, worst case, 1,000,000 lines",
             max(data[case]["p95_ms"] for case in LOG_CASES), MAX_LOG_SEARCH_MS),
        ):  # fmt: skip
            res.targets.append(Target(f"{db}: {name}", value, limit, "<=", "ms", skipped))
    return res
