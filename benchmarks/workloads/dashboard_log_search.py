"""Workload of benchmarks/dashboard_queries.py: the Logs page's search across runs at scale.

    python dashboard_log_search.py DATABASE_URL N_LINES REPEATS

Creates the record at DATABASE_URL (the app migrates it), bulk-inserts N_LINES log lines over
1,000 flow runs of 20 flows (arrival order, timestamps over the last 7 days, 80 % INFO, 15 %
WARNING, 5 % ERROR; one line in 100,000 holds the word "needle"), then times GET /api/logs
REPEATS times through the app in-process (ASGI, no network), each case as the Logs page asks
(100 lines): the newest lines; a common word; a rare word; a word no line holds (every line
read); ERROR and above; a word within one flow, one run and the last hour; the lines of a
week ago (every newer line read to reach them). Prints one
BENCH_RESULT line.
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

from dashboard_reads import TestClient, timed
from wl_common import emit

from cadenza.server.app import create_app
from cadenza.store.tables import flow_runs, logs

CHUNK = 10_000  # rows per insert
N_RUNS = 1_000
WORDS = ["rows loaded", "retrying request", "cache hit", "wrote batch", "connection reset"]


def fill(store: Any, n_lines: int) -> None:
    rng = random.Random(16)
    now = time.time()
    runs = [
        {
            "id": f"{i:08d}-run",
            "name": f"run-{i}",
            "flow_name": f"flow-{i % 20}",
            "parameters": "{}",
            "tags": "[]",
            "state_type": "COMPLETED",
            "state_name": "Completed",
            "created": now - 7 * 86_400 + i * 600,
            "run_count": 1,
            "retries": 0,
            "auto_scheduled": False,
        }
        for i in range(N_RUNS)
    ]
    with store.write() as conn:
        conn.execute(flow_runs.insert(), runs)
    start = now - 7 * 86_400
    for at in range(0, n_lines, CHUNK):
        rows = []
        for i in range(at, min(at + CHUNK, n_lines)):
            roll = rng.random()
            level = 40 if roll < 0.05 else 30 if roll < 0.20 else 20
            word = "needle" if i % 100_000 == 50_000 else rng.choice(WORDS)
            rows.append(
                {
                    "flow_run_id": runs[i * N_RUNS // n_lines]["id"],
                    "level": level,
                    "logger": "cadenza.task_runs" if i % 2 else "cadenza.flow_runs",
                    "message": f"{word}: item {i} of the batch, {rng.randrange(10**6)} bytes",
                    "timestamp": start + 7 * 86_400 * i / n_lines,
                }
            )
        with store.write() as conn:
            conn.execute(logs.insert(), rows)
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    else:
        with store.write() as conn:
            conn.exec_driver_sql("ANALYZE")


def main() -> None:
    url, n_lines, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = create_app(url, api_key="")
    t0 = time.perf_counter()
    fill(app.state.store, n_lines)
    out: dict[str, Any] = {"log_lines": n_lines, "log_fill_s": time.perf_counter() - t0}
    page = {"limit": 100}
    cases = {
        "logs_newest": {},
        "logs_common_word": {"q": "cache hit"},
        "logs_rare_word": {"q": "NEEDLE"},
        "logs_absent_word": {"q": "no line holds this"},
        "logs_errors": {"level": 40},
        "logs_flow_word": {"flow_name": "flow-7", "q": "connection reset"},
        "logs_run_word": {"flow_run_id": f"{N_RUNS - 1:08d}-run", "q": "wrote"},
        "logs_last_hour_word": {"since": str(time.time() - 3600), "q": "rows"},
        "logs_a_week_ago": {"until": str(time.time() - 6.9 * 86_400)},
    }
    with TestClient(app) as client:
        for name, params in cases.items():
            case = timed(client, "/api/logs", {**page, **params}, repeats)
            case["items"] = len(case.pop("answer")["items"])
            out[name] = case
    assert out["logs_rare_word"]["items"] == len(range(50_000, n_lines, 100_000))
    assert out["logs_absent_word"]["items"] == 0
    emit(out)


if __name__ == "__main__":
    main()
