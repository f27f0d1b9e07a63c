"""flow_process: a whole ``python script.py`` run of a one-task flow, spawn to exit.

The first run in a fresh home creates the database; it is reported on its own and not counted.
Then the median of 7 runs (3 in --quick) against that home is the figure with a target.
Prefect's first flow in every process starts a temporary API server, so it gets just 3 timed
runs (1 in --quick) sharing one PREFECT_HOME, after the same kind of untimed first run.
"""

from __future__ import annotations

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
    median,
    prefect_cell,
    prefect_env,
    ratio,
    run,
    temp_home,
    workload,
)

NAME = "flow_process"
LIMIT_S = 0.3


def _measure(
    python: str, fw: str, env: dict[str, str], runs: int, timeout: float
) -> dict[str, Any]:
    cmd = workload(python, "one_task_flow.py", fw)
    first = run(cmd, env, timeout).wall  # creates the database
    walls = [run(cmd, env, timeout).wall for _ in range(runs)]
    return {"first_run_s": first, "runs_s": walls, "median_s": median(walls)}


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    cad: dict[str, Any] | None = None
    pre: dict[str, Any] | None = None
    with temp_home("cadenza") as home:
        env = cadenza_env(home)
        try:
            runs = 3 if cfg.quick else 7
            cad = _measure(cfg.cadenza_python, "cadenza", env, runs, CADENZA_TIMEOUT)
            res.data["cadenza"] = cad
        except Exception as exc:
            res.errors.append(f"cadenza: {exc}")
        try:  # context: the same interpreter doing nothing
            bare = [run([cfg.cadenza_python, "-c", "pass"], env, 30).wall for _ in range(5)]
            res.data["bare_python_s"] = median(bare)
        except Exception as exc:
            res.errors.append(f"bare python: {exc}")
    if cfg.prefect_python:
        with temp_home("prefect") as home:
            try:
                runs = 1 if cfg.quick else 3
                pre = _measure(
                    cfg.prefect_python, "prefect", prefect_env(home), runs, PREFECT_TIMEOUT
                )
                res.data["prefect"] = pre
            except Exception as exc:
                res.data["prefect_error"] = str(exc)
    missing = prefect_cell(cfg, "prefect_error" in res.data)
    c_med, p_med = dig(cad, "median_s"), dig(pre, "median_s")
    c_first, p_first = dig(cad, "first_run_s"), dig(pre, "first_run_s")
    res.rows += [
        Row(
            "one-task flow script, median (s)",
            c_med,
            p_med if pre else missing,
            ratio(p_med, c_med),
            "{:.3f}",
        ),
        Row(
            "first run in a fresh home (s)",
            c_first,
            p_first if pre else missing,
            ratio(p_first, c_first),
            "{:.3f}",
        ),
        Row("bare `python -c pass` (s)", res.data.get("bare_python_s"), None, None, "{:.3f}"),
    ]
    res.targets.append(Target("cadenza one-task flow process", c_med, LIMIT_S, "<=", "s"))
    return res
