"""Workload of benchmarks/dashboard_queries.py: fill a record, then time the dashboard's routes.

    python dashboard_reads.py DATABASE_URL N_RUNS N_TASKS REPEATS N_HUGE_TASKS N_LOG_LINES

Creates the record at DATABASE_URL (the app migrates it) and fills it (workloads/dashboard_fill.py:
N_RUNS flow runs, a run of N_TASKS task runs, one of N_HUGE_TASKS, one of N_LOG_LINES log lines)
unless it already holds that record (a reused SQLite file), then times each route REPEATS times
through the app in-process (ASGI, no network): the server's time to answer, JSON included.
Prints one BENCH_RESULT line.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from typing import Any

from dashboard_fill import fill, filled
from wl_common import emit

from cadenza.server.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def timed(client: TestClient, path: str, params: dict[str, Any], repeats: int) -> dict[str, Any]:
    times, answer = [], None
    for _ in range(repeats + 2):  # two untimed warm-ups
        t0 = time.perf_counter()
        response = client.get(path, params=params)
        times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} {params}: {response.status_code} {response.text[:300]}")
        answer = response.json()
    times = sorted(times[2:])
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"p95_ms": p95, "median_ms": statistics.median(times), "answer": answer}


def main() -> None:
    url = sys.argv[1]
    n_runs, n_tasks, repeats, n_huge, n_lines = (int(a) for a in sys.argv[2:7])
    app = create_app(url, api_key="")
    t0 = time.perf_counter()
    reused = filled(app.state.store, n_runs, n_tasks, n_huge)
    if not reused:
        fill(app.state.store, n_runs, n_tasks, n_huge, n_lines)
    out: dict[str, Any] = {"runs": n_runs, "tasks": n_tasks, "huge_tasks": n_huge,
                           "log_lines": n_lines, "fill_s": time.perf_counter() - t0,
                           "reused": reused}  # fmt: skip
    big, lp, end = "big-run", {"limit": 1000}, str(2**63 - 1)
    with TestClient(app) as client:
        first = timed(client, "/api/flow_runs/page", {"limit": 50}, repeats)
        cursor = first["answer"]["next_cursor"]
        deep_cursor = None
        page = first["answer"]
        for _ in range(40):  # 40 pages of 500 in: 20,000 runs deep
            page = client.get(
                "/api/flow_runs/page", params={"limit": 500, "cursor": page["next_cursor"]}
            ).json()
            deep_cursor = page["next_cursor"]
        cases = {
            "page_first": first,
            "page_second": timed(
                client, "/api/flow_runs/page", {"limit": 50, "cursor": cursor}, repeats
            ),
            "page_deep": timed(
                client, "/api/flow_runs/page", {"limit": 50, "cursor": deep_cursor}, repeats
            ),
            "page_state": timed(client, "/api/flow_runs/page", {"state": "FAILED"}, repeats),
            "page_rare_state": timed(
                client, "/api/flow_runs/page", {"state": "CANCELLED"}, repeats
            ),
            "page_flow": timed(client, "/api/flow_runs/page", {"flow_name": "flow-7"}, repeats),
            "page_flow_state": timed(
                client, "/api/flow_runs/page", {"flow_name": "flow-7", "state": "FAILED"}, repeats
            ),
            "page_deployment": timed(
                client, "/api/flow_runs/page", {"deployment": "flow-3/d3"}, repeats
            ),
            "page_tag": timed(client, "/api/flow_runs/page", {"tag": "eu"}, repeats),
            "page_500": timed(client, "/api/flow_runs/page", {"limit": 500}, repeats),
            "history_24h": timed(client, "/api/flow_runs/history", {}, repeats),
            "history_30d": timed(
                client,
                "/api/flow_runs/history",
                {"since": str(time.time() - 30 * 86_400), "buckets": 60},
                repeats,
            ),
            "timeline": timed(client, f"/api/flow_runs/{big}/timeline", {}, repeats),
            "logs_search": timed(
                client, "/api/logs", {"q": "finished failed", "limit": 100}, repeats
            ),
            "timeline_huge": timed(client, "/api/flow_runs/huge-run/timeline", {}, repeats),
            "run_logs_open": timed(client, "/api/flow_runs/log-run/logs", lp, repeats),
            "run_logs_tail": timed(
                client, "/api/flow_runs/log-run/logs", {**lp, "before": end}, repeats
            ),
            "run_logs_search": timed(
                client, "/api/flow_runs/log-run/logs", {**lp, "q": "NEEDLE"}, repeats
            ),
            "run_logs_search_none": timed(
                client, "/api/flow_runs/log-run/logs", {**lp, "q": "absent"}, repeats
            ),
        }
    assert cases["timeline"]["answer"]["count"] == n_tasks
    assert cases["timeline_huge"]["answer"]["count"] == n_huge
    assert len(cases["run_logs_open"]["answer"]) == min(1000, n_lines)
    assert len(cases["run_logs_search"]["answer"]) == min(1000, n_lines // 1000)
    assert cases["run_logs_search_none"]["answer"] == []
    assert len(cases["page_first"]["answer"]["items"]) == 50
    for name, case in cases.items():
        answer = case.pop("answer")
        if isinstance(answer, dict) and "total" in answer:
            case["total"] = answer["total"]
        out[name] = case
    emit(out)


if __name__ == "__main__":
    main()
