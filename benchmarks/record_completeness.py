"""record_completeness: after a flow of N tasks exits, is every task run in the record?

Opens ``$CADENZA_HOME/cadenza.db`` read-only and counts, for that flow run, rows of
``task_runs`` (expect N) and their ``run_states`` rows (expect Pending, Running and Completed
for each: 3N rows, N complete runs). For Prefect the same questions are asked of the
``prefect.db`` its temporary server wrote (tables ``task_run`` / ``task_run_state``); its counts
are reported, never asserted.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from harness import (
    CADENZA_TIMEOUT,
    PREFECT_TIMEOUT,
    BenchResult,
    Config,
    Row,
    Target,
    cadenza_env,
    dig,
    prefect_cell,
    prefect_env,
    run,
    temp_home,
    workload,
)

NAME = "record_completeness"

# (runs table, its flow-run column, states table, its run-id column) per framework
SCHEMAS = {
    "cadenza": ("cadenza.db", "task_runs", "flow_run_id", "run_states", "run_id"),
    "prefect": ("prefect.db", "task_run", "flow_run_id", "task_run_state", "task_run_id"),
}


def count(db: Path, fw: str, flow_run_id: str | None) -> dict[str, Any]:
    _, runs, flow_col, states, run_col = SCHEMAS[fw]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        if flow_run_id is None:  # a fresh home holds exactly one flow run
            ids = [r[0] for r in con.execute(f"SELECT DISTINCT {flow_col} FROM {runs}")]
            if len(ids) != 1:
                raise RuntimeError(f"expected one flow run in {runs}, found {len(ids)}")
            flow_run_id = str(ids[0])
        sub = f"SELECT id FROM {runs} WHERE {flow_col} = ?"
        task_runs = con.execute(
            f"SELECT COUNT(*) FROM {runs} WHERE {flow_col} = ?", (flow_run_id,)
        ).fetchone()[0]
        by_type = dict(
            con.execute(
                f"SELECT UPPER(type), COUNT(*) FROM {states} WHERE {run_col} IN ({sub}) "
                "GROUP BY UPPER(type)",
                (flow_run_id,),
            ).fetchall()
        )
        complete = con.execute(
            f"SELECT COUNT(*) FROM (SELECT {run_col} FROM {states} WHERE {run_col} IN ({sub}) "
            f"GROUP BY {run_col} HAVING SUM(UPPER(type) = 'PENDING') > 0 "
            "AND SUM(UPPER(type) = 'RUNNING') > 0 AND SUM(UPPER(type) = 'COMPLETED') > 0)",
            (flow_run_id,),
        ).fetchone()[0]
    finally:
        con.close()
    return {
        "flow_run_id": flow_run_id,
        "task_runs": task_runs,
        "state_rows": sum(by_type.values()),
        "states_by_type": by_type,
        "runs_with_pending_running_completed": complete,
    }


def _measure(
    python: str, fw: str, n: int, env: dict[str, str], home: Path, timeout: float
) -> dict[str, Any]:
    proc = run(workload(python, "many_tasks.py", fw, n), env, timeout)
    out = proc.result()
    if not out.get("ok"):
        raise RuntimeError(f"{fw}: flow returned a wrong result")
    db = home / SCHEMAS[fw][0]
    if not db.exists():
        raise RuntimeError(f"{fw}: no database at {db}")
    return {"n": n, "process_s": proc.wall, **count(db, fw, out.get("flow_run_id"))}


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    n = 2_000 if cfg.quick else 10_000
    pn = 50 if cfg.quick else 200
    cad: dict[str, Any] | None = None
    pre: dict[str, Any] | None = None
    with temp_home("cadenza") as home:
        try:
            cad = _measure(
                cfg.cadenza_python, "cadenza", n, cadenza_env(home), home, CADENZA_TIMEOUT
            )
            res.data["cadenza"] = cad
        except Exception as exc:
            res.errors.append(f"cadenza: {exc}")
    if cfg.prefect_python:
        with temp_home("prefect") as home:
            try:
                pre = _measure(
                    cfg.prefect_python, "prefect", pn, prefect_env(home), home, PREFECT_TIMEOUT
                )
                res.data["prefect"] = pre
            except Exception as exc:
                res.data["prefect_error"] = str(exc)
    missing = prefect_cell(cfg, "prefect_error" in res.data)
    for key, label in (
        ("n", "tasks run"),
        ("task_runs", "task run rows"),
        ("state_rows", "state rows for those runs"),
        ("runs_with_pending_running_completed", "runs with Pending+Running+Completed"),
        ("process_s", "process wall, fresh home (s)"),
    ):
        fmt = "{:.2f}" if key == "process_s" else "{:.0f}"
        res.rows.append(Row(label, dig(cad, key), dig(pre, key) if pre else missing, None, fmt))
    res.targets += [
        Target("task_runs rows", dig(cad, "task_runs"), n, "=="),
        Target("run_states rows (3 per task run)", dig(cad, "state_rows"), 3 * n, "=="),
        Target(
            "task runs with P/R/C states", dig(cad, "runs_with_pending_running_completed"), n, "=="
        ),
    ]
    return res
