"""Fill a dashboard benchmark record fast (part of workloads/dashboard_reads.py).

Rows go in as tuples: ``executemany`` on SQLite, ``COPY`` on PostgreSQL (psycopg), in chunks, so
a record of 1,000,000 flow runs takes a minute or so, not an hour. The record: N_RUNS flow runs
over the last 30 days (20 flows, 10 deployments, mixed states and tags, 2 log lines each), and
three big runs: ``big-run`` (N_TASKS task runs), ``huge-run`` (N_HUGE_TASKS task runs) and
``log-run`` (N_LINES log lines, 1 in 1,000 of them a warning holding the word "needle").
`filled` says whether a file already holds that record, so a large SQLite file is made once.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterator
from typing import Any

from cadenza.store.tables import deployments

STATES = ["COMPLETED"] * 14 + ["FAILED", "FAILED", "CRASHED", "CANCELLED", "RUNNING", "SCHEDULED"]
CHUNK = 20_000
RUN_COLS = ("id", "name", "flow_name", "parameters", "tags", "state_type", "state_name",
            "created", "start_time", "end_time", "run_count", "retries", "auto_scheduled",
            "deployment_id")  # fmt: skip
TASK_COLS = ("id", "flow_run_id", "name", "task_name", "task_key", "tags", "state_type",
             "state_name", "created", "start_time", "end_time", "run_count", "retries")  # fmt: skip
LOG_COLS = ("flow_run_id", "level", "logger", "message", "timestamp")
BIG = {"big-run": "big", "huge-run": "huge", "log-run": "logs"}


def _runs(rng: random.Random, n_runs: int, now: float) -> Iterator[tuple[Any, ...]]:
    for i in range(n_runs):
        created = now - rng.random() * 30 * 86_400
        state = rng.choice(STATES)
        start = created + 1 if state != "SCHEDULED" else None
        end = start + rng.random() * 60 if start and state != "RUNNING" else None
        tags = '["nightly"]' if i % 3 else '["adhoc", "eu"]'
        dep = f"dep-{i % 10}" if i % 3 == 0 else None
        yield (f"{i:08d}-run", f"run-{i}", f"flow-{i % 20}", f'{{"n": {i}, "label": "x"}}', tags,
               state, state.title(), created, start, end, 1, 0, False, dep)  # fmt: skip
    for run_id, name in BIG.items():
        yield (run_id, name, "flow-0", "{}", "[]", "COMPLETED", "Completed", now - 3600,
               now - 3600, now, 1, 0, False, None)  # fmt: skip


def _run_logs(rng: random.Random, n_runs: int, now: float) -> Iterator[tuple[Any, ...]]:
    for i in range(n_runs):
        created = now - rng.random() * 30 * 86_400
        state = rng.choice(STATES)
        run_id = f"{i:08d}-run"
        yield (run_id, 20, "l", "started", created)
        yield (run_id, 40 if state == "FAILED" else 30, "l", f"finished {state}", created)


def _tasks(rng: random.Random, run_id: str, n: int, now: float) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        start = now - 3600 + rng.random() * 3500
        yield (f"{run_id}-t{i:06d}", run_id, f"t-{i}", f"t{i % 50}", "k", "[]", "COMPLETED",
               "Cached" if i % 17 == 0 else "Completed", start, start, start + rng.random() * 30,
               1, 0)  # fmt: skip


def _lines(n: int, now: float) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        if i % 1000 == 999:
            yield ("log-run", 30, "big", f"line {i}: needle found in batch {i // 1000}", now)
        else:
            yield ("log-run", 20, "big", f"line {i}: processed item {i} of the batch", now)


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(raw: Any, pg: bool, table: str, cols: tuple[str, ...], rows: Iterator) -> None:
    names = ", ".join(cols)
    cur = raw.cursor()
    if pg:
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"
        for chunk in _chunks(rows):
            cur.executemany(sql, chunk)
    raw.commit()


def filled(store: Any, n_runs: int, n_tasks: int, n_huge: int) -> bool:
    """Whether the record already holds this benchmark's runs (a reused file). The task runs go
    in last, so a fill that was stopped half-way does not count."""
    with store.engine.connect() as conn:
        runs = conn.exec_driver_sql("SELECT COUNT(*) FROM flow_runs").scalar()
        tasks = conn.exec_driver_sql("SELECT COUNT(*) FROM task_runs").scalar()
    return runs == n_runs + len(BIG) and tasks == n_tasks + n_huge


def fill(store: Any, n_runs: int, n_tasks: int, n_huge: int, n_lines: int) -> None:
    now = time.time()
    pg = store.engine.dialect.name == "postgresql"
    deps = [{"id": f"dep-{i}", "name": f"d{i}", "flow_name": f"flow-{i}", "created": now,
             "updated": now} for i in range(10)]  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(deployments.insert(), deps)
    raw = store.engine.raw_connection()
    try:
        _insert(raw, pg, "flow_runs", RUN_COLS, _runs(random.Random(16), n_runs, now))
        _insert(raw, pg, "logs", LOG_COLS, _run_logs(random.Random(16), n_runs, now))
        _insert(raw, pg, "logs", LOG_COLS, _lines(n_lines, now))
        for run_id, n in (("big-run", n_tasks), ("huge-run", n_huge)):
            _insert(raw, pg, "task_runs", TASK_COLS, _tasks(random.Random(16), run_id, n, now))
        if pg:
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute("VACUUM ANALYZE")
            raw.driver_connection.autocommit = False  # the pool hands this connection out again
        else:
            raw.cursor().execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()


def main() -> None:
    """``python dashboard_fill.py DATABASE_URL N_RUNS N_TASKS N_HUGE_TASKS N_LOG_LINES``: create
    the record (the app migrates it) and fill it, unless it already holds it."""
    from cadenza.server.app import create_app  # lazily: only the command line needs the app

    url = sys.argv[1]
    n_runs, n_tasks, n_huge, n_lines = (int(a) for a in sys.argv[2:6])
    store = create_app(url, api_key="").state.store
    if not filled(store, n_runs, n_tasks, n_huge):
        fill(store, n_runs, n_tasks, n_huge, n_lines)


if __name__ == "__main__":
    main()
