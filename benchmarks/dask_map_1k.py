"""dask_map_1k: ``inc.map(range(1_000))`` in one flow on a Dask task runner, then ``.result()``.

The runner starts a ``LocalCluster`` of 2 worker processes with 1 thread each, on 127.0.0.1,
with no dashboard (``cadenza_dask.DaskTaskRunner`` / ``prefect_dask.DaskTaskRunner``, same
``cluster_kwargs``). The child (workloads/dask_map.py) times the flow call from start to return,
which includes starting and closing the cluster, and inside the body the map alone, first submit
to all results. Afterwards the parent counts that flow run's COMPLETED task runs in the record
(``map_10k.count_task_runs``). A one-task flow on the default runner runs first in the same
home, untimed. Cadenza keeps the fastest of 3 repeats; Prefect runs once, side by side with the
ratio. The only target: every cadenza repeat returns the right sum with all N task runs
recorded COMPLETED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import (
    BenchResult,
    Config,
    Row,
    Target,
    dig,
    measure_both,
    ratio,
    run,
    workload,
)
from map_10k import count_task_runs

NAME = "dask_map_1k"
PREFECT_DASK_TIMEOUT = 600.0  # Prefect + prefect-dask took about 92 s here for 1,000 tasks


def _measure(
    python: str, fw: str, n: int, env: dict[str, str], home: Path, timeout: float, repeats: int = 1
) -> dict[str, Any]:
    run(workload(python, "one_task_flow.py", fw), env, timeout)
    outs = []
    for _ in range(repeats):
        proc = run(workload(python, "dask_map.py", fw, n), env, timeout)
        out = proc.result()
        out.update(count_task_runs(home, fw, out.get("flow_run_id")))
        out["process_s"] = proc.wall
        outs.append(out)
    best = min(outs, key=lambda o: o["flow_call_s"])
    best["repeats"] = repeats
    best["repeats_flow_call_s"] = [round(o["flow_call_s"], 3) for o in outs]
    best["repeats_map_s"] = [round(o["map_s"], 3) for o in outs]
    best["repeats_completed"] = [o["completed"] for o in outs]
    best["min_completed"] = min(o["completed"] for o in outs)
    best["all_ok"] = all(o.get("ok") for o in outs)
    return best


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    n = 200 if cfg.quick else 1_000
    cad, pre, missing = measure_both(
        cfg,
        res,
        lambda python, fw, env, home, timeout, repeats: _measure(
            python, fw, n, env, home, timeout, repeats=repeats
        ),
        cadenza_repeats=1 if cfg.quick else 3,
        prefect_timeout=PREFECT_DASK_TIMEOUT,
    )

    def p(*path: str) -> float | str | None:
        return dig(pre, *path) if pre else missing

    c_wall = dig(cad, "flow_call_s")
    res.rows += [
        Row("tasks mapped", dig(cad, "n"), p("n"), None, "{:,.0f}"),
        Row(
            "flow call incl. cluster, best (s)",
            c_wall,
            p("flow_call_s"),
            ratio(dig(pre, "flow_call_s"), c_wall),
            "{:.3f}",
        ),
        Row(
            "flow call, every repeat (s)",
            " ".join(map(str, (cad or {}).get("repeats_flow_call_s", []))) or None,
            None,
            None,
            "{}",
        ),
        Row(
            "  map, 1st submit->all results (s)",
            dig(cad, "map_s"),
            p("map_s"),
            ratio(dig(pre, "map_s"), dig(cad, "map_s")),
            "{:.3f}",
        ),
        Row("  flow call start->body (s)", dig(cad, "body_start_s"), p("body_start_s"), None),
        Row("  body return->flow return (s)", dig(cad, "exit_s"), p("exit_s"), None),
        Row(
            "task runs recorded for the flow",
            dig(cad, "task_runs"),
            p("task_runs"),
            None,
            "{:,.0f}",
        ),
        Row(
            "  of which COMPLETED (fewest, all repeats)",
            dig(cad, "min_completed"),
            p("min_completed"),
            None,
            "{:,.0f}",
        ),
    ]
    res.targets += [
        Target(
            "every repeat returned the right sum",
            1.0 if cad and cad["all_ok"] else 0.0 if cad else None,
            1.0,
            "==",
        ),
        Target("COMPLETED task runs recorded (every repeat)", dig(cad, "min_completed"), n, "=="),
    ]
    return res
