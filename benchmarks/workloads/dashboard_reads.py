"""Workload of benchmarks/dashboard_queries.py: fill a record, then time the dashboard's routes.

    python dashboard_reads.py DATABASE_URL N_RUNS N_TASKS REPEATS

Creates the record at DATABASE_URL (the app migrates it), bulk-inserts N_RUNS flow runs over the
last 30 days (20 flows, 10 deployments, mixed states and tags, 2 log lines each) and one flow run
with N_TASKS task runs, then times each route REPEATS times through the app in-process (ASGI,
no network): the server's time to answer, JSON included. Prints one BENCH_RESULT line.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import warnings
from typing import Any

from wl_common import emit

from cadenza.server.app import create_app
from cadenza.store.tables import deployments, flow_runs, logs, task_runs

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

STATES = ["COMPLETED"] * 14 + ["FAILED", "FAILED", "CRASHED", "CANCELLED", "RUNNING", "SCHEDULED"]
CHUNK = 10_000


def fill(store: Any, n_runs: int, n_tasks: int) -> str:
    rng = random.Random(16)
    now = time.time()
    deps = [
        {
            "id": f"dep-{i}",
            "name": f"d{i}",
            "flow_name": f"flow-{i}",
            "created": now,
            "updated": now,
        }
        for i in range(10)
    ]
    runs, lines = [], []
    for i in range(n_runs):
        created = now - rng.random() * 30 * 86_400
        state = rng.choice(STATES)
        start = created + 1 if state != "SCHEDULED" else None
        end = start + rng.random() * 60 if start and state != "RUNNING" else None
        run_id = f"{i:08d}-run"
        runs.append(
            {
                "id": run_id,
                "name": f"run-{i}",
                "flow_name": f"flow-{i % 20}",
                "parameters": f'{{"n": {i}, "label": "x"}}',
                "tags": '["nightly"]' if i % 3 else '["adhoc", "eu"]',
                "state_type": state,
                "state_name": state.title(),
                "created": created,
                "start_time": start,
                "end_time": end,
                "run_count": 1,
                "retries": 0,
                "auto_scheduled": False,
                "deployment_id": f"dep-{i % 10}" if i % 3 == 0 else None,
            }
        )
        lines.append(
            {
                "flow_run_id": run_id,
                "level": 20,
                "logger": "l",
                "message": "started",
                "timestamp": created,
            }
        )
        lines.append(
            {
                "flow_run_id": run_id,
                "level": 40 if state == "FAILED" else 30,
                "logger": "l",
                "message": f"finished {state}",
                "timestamp": created,
            }
        )
    big = "big-run"
    runs.append(
        {
            **runs[0],
            "id": big,
            "name": "big",
            "created": now - 3600,
            "start_time": now - 3600,
            "end_time": now,
        }
    )
    tasks = []
    for i in range(n_tasks):
        start = now - 3600 + rng.random() * 3500
        tasks.append(
            {
                "id": f"task-{i:06d}",
                "flow_run_id": big,
                "name": f"t-{i}",
                "task_name": f"t{i % 50}",
                "task_key": "k",
                "tags": "[]",
                "state_type": "COMPLETED",
                "state_name": "Cached" if i % 17 == 0 else "Completed",
                "created": start,
                "start_time": start,
                "end_time": start + rng.random() * 30,
                "run_count": 1,
                "retries": 0,
            }
        )
    with store.write() as conn:
        conn.execute(deployments.insert(), deps)
        for table, rows in ((flow_runs, runs), (logs, lines), (task_runs, tasks)):
            for at in range(0, len(rows), CHUNK):
                conn.execute(table.insert(), rows[at : at + CHUNK])
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    else:
        with store.write() as conn:
            conn.exec_driver_sql("ANALYZE")
    return big


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
    url, n_runs, n_tasks, repeats = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    app = create_app(url, api_key="")
    t0 = time.perf_counter()
    big = fill(app.state.store, n_runs, n_tasks)
    fill_s = time.perf_counter() - t0
    out: dict[str, Any] = {"runs": n_runs, "tasks": n_tasks, "fill_s": fill_s}
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
        }
    assert cases["timeline"]["answer"]["count"] == n_tasks
    assert len(cases["page_first"]["answer"]["items"]) == 50
    for name, case in cases.items():
        answer = case.pop("answer")
        if isinstance(answer, dict) and "total" in answer:
            case["total"] = answer["total"]
        out[name] = case
    emit(out)


if __name__ == "__main__":
    main()
