"""dashboard_queries: the dashboard's read routes on a record of 100,000 flow runs.

A child (workloads/dashboard_reads.py) bulk-inserts the record — 100,000 flow runs over 30 days
with 2 log lines each, and one flow run with 10,000 task runs (10,000 runs and 2,000 task runs
with ``--quick``) — into a fresh SQLite file, and into a throwaway PostgreSQL cluster when its
binaries are installed (``cadenza.testing.postgres``), then times each route through the app
in-process (no network): runs list pages (first, second, 20,000 runs deep, by state, by flow, by
deployment, by tag), the history chart (24 h and 30 days), the timeline and a log search. Target
(issue 16): runs list p95 ≤ 50 ms at 100,000 runs, and the server's part of a 10,000-task
timeline ≤ 150 ms. Cadenza only.
"""

from __future__ import annotations

from typing import Any

from harness import BenchResult, Config, Row, Target, cadenza_env, run, temp_home, workload

NAME = "dashboard_queries"
MAX_LIST_P95_MS = 50.0
MAX_TIMELINE_MS = 150.0
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


def _measure(python: str, url: str, runs: int, tasks: int, repeats: int, home: Any) -> dict:
    cmd = workload(python, "dashboard_reads.py", url, runs, tasks, repeats)
    return run(cmd, cadenza_env(home), timeout=900.0).result()


def _postgres(python: str, runs: int, tasks: int, repeats: int) -> dict[str, Any] | None:
    from cadenza.testing.postgres import start_cluster  # deferred: run.py imports us without it

    try:
        cluster = start_cluster()
    except RuntimeError:
        return None  # no PostgreSQL binaries here: SQLite's figures only
    try:
        with temp_home("cadenza-dash-pg") as home:
            return _measure(python, cluster.create_database(), runs, tasks, repeats, home)
    finally:
        cluster.stop()


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    runs, tasks, repeats = (10_000, 2_000, 10) if cfg.quick else (100_000, 10_000, 40)
    found: dict[str, dict[str, Any] | None] = {"SQLite": None, "PostgreSQL": None}
    try:
        with temp_home("cadenza-dash") as home:
            found["SQLite"] = _measure(
                cfg.cadenza_python, f"sqlite:///{home / 'dash.db'}", runs, tasks, repeats, home
            )
    except Exception as exc:
        res.errors.append(f"cadenza (SQLite): {exc}")
    try:
        found["PostgreSQL"] = _postgres(cfg.cadenza_python, runs, tasks, repeats)
    except Exception as exc:
        res.errors.append(f"cadenza (PostgreSQL): {exc}")
    res.data = {k: v for k, v in found.items() if v is not None}
    for db, data in found.items():
        if data is None:
            continue
        res.rows.append(
            Row(f"{db}: flow runs / task runs in the record", f"{runs} / {tasks}", None, None, "{}")
        )
        for case in (*LIST_CASES, *OTHER_CASES):
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
    return res
