"""task_overhead: per-call cost of a trivial task inside one flow run, tracking on.

The child (workloads/overhead.py) times every call of ``inc(x)`` and of the same plain function
with perf_counter; overhead = median task call - median plain call. The 10,000-task flow's wall
is also reported from flow start to process exit, so it includes the final flush of the record.
A one-task flow runs first in the same home, untimed, so database creation is not measured.
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
    prefect_cell,
    prefect_env,
    ratio,
    run,
    temp_home,
    workload,
)

NAME = "task_overhead"
LIMIT_US = 30.0
MIN_RATIO = 150.0


def _measure(
    python: str, fw: str, n: int, env: dict[str, str], timeout: float, repeats: int = 1
) -> dict[str, Any]:
    """Run the workload `repeats` times (separate processes); keep the fastest repeat.

    This machine's speed drifts by up to ~2.4x between runs (a plain call's median moves between
    0.14 and 0.34 us), so, as `timeit` advises, the lowest repeat is the figure held to the
    target; every repeat's overhead is reported beside it.
    """
    # Untimed first run: the fresh home's database is created here, not inside the measurement.
    run(workload(python, "one_task_flow.py", fw), env, timeout)
    outs = []
    for _ in range(repeats):
        proc = run(workload(python, "overhead.py", fw, n), env, timeout)
        out = proc.result()
        if not out.get("ok"):
            raise RuntimeError(f"{fw}: task returned wrong results")
        out["overhead_us"] = out["task"]["median_us"] - out["plain"]["median_us"]
        out["flow_to_exit_s"] = proc.end - out["flow_start"]
        out["process_s"] = proc.wall
        outs.append(out)
    best = min(outs, key=lambda o: o["overhead_us"])
    best["repeats_overhead_us"] = [round(o["overhead_us"], 2) for o in outs]
    best["repeats"] = repeats
    return best


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    n = 2_000 if cfg.quick else 10_000
    pn = 50 if cfg.quick else 200
    cad: dict[str, Any] | None = None
    pre: dict[str, Any] | None = None
    with temp_home("cadenza") as home:
        try:
            cad = _measure(
                cfg.cadenza_python,
                "cadenza",
                n,
                cadenza_env(home),
                CADENZA_TIMEOUT,
                repeats=2 if cfg.quick else 5,
            )
            res.data["cadenza"] = cad
        except Exception as exc:
            res.errors.append(f"cadenza: {exc}")
    if cfg.prefect_python:
        with temp_home("prefect") as home:
            try:
                pre = _measure(
                    cfg.prefect_python, "prefect", pn, prefect_env(home), PREFECT_TIMEOUT
                )
                res.data["prefect"] = pre
            except Exception as exc:
                res.data["prefect_error"] = str(exc)
    missing = prefect_cell(cfg, "prefect_error" in res.data)

    c_over = dig(cad, "overhead_us")
    p_over = dig(pre, "overhead_us")
    r = ratio(p_over, c_over)
    res.rows += [
        Row("iterations", dig(cad, "n"), dig(pre, "n") if pre else missing, None, "{:.0f}"),
        Row(
            "plain call median (us)",
            dig(cad, "plain", "median_us"),
            dig(pre, "plain", "median_us") if pre else missing,
            None,
            "{:.3f}",
        ),
        Row(
            "task call median (us)",
            dig(cad, "task", "median_us"),
            dig(pre, "task", "median_us") if pre else missing,
            None,
            "{:.2f}",
        ),
        Row(
            "task call mean (us)",
            dig(cad, "task", "mean_us"),
            dig(pre, "task", "mean_us") if pre else missing,
            None,
            "{:.2f}",
        ),
        Row(
            "task call p90 (us)",
            dig(cad, "task", "p90_us"),
            dig(pre, "task", "p90_us") if pre else missing,
            None,
            "{:.2f}",
        ),
        Row("overhead median, best repeat (us)", c_over, p_over if pre else missing, r, "{:.2f}"),
        Row(
            "overhead median, every repeat (us)",
            " ".join(map(str, (cad or {}).get("repeats_overhead_us", []))) or None,
            None,
            None,
            "{}",
        ),
        Row(
            "flow call, start->return (s)",
            dig(cad, "flow_call_s"),
            dig(pre, "flow_call_s") if pre else missing,
            None,
            "{:.3f}",
        ),
        Row(
            "  of which: task loop (s)",
            dig(cad, "task_loop_s"),
            dig(pre, "task_loop_s") if pre else missing,
            None,
            "{:.3f}",
        ),
        Row(
            "  of which: flow finish (s)",
            dig(cad, "flow_finish_s"),
            dig(pre, "flow_finish_s") if pre else missing,
            None,
            "{:.3f}",
        ),
        Row(
            "flow start->exit incl. flush (s)",
            dig(cad, "flow_to_exit_s"),
            dig(pre, "flow_to_exit_s") if pre else missing,
            None,
            "{:.3f}",
        ),
    ]
    res.targets.append(Target("cadenza task overhead (median)", c_over, LIMIT_US, "<=", "us"))
    res.targets.append(
        Target(
            "task overhead prefect/cadenza",
            r,
            MIN_RATIO,
            ">=",
            "x",
            skipped=None if pre else "prefect not measured",
        )
    )
    return res
