"""submit_1k: 1,000 ``inc.submit(i)`` in one flow on the default runner, then ``wait(futures)``.

The child (workloads/submit_tasks.py) times the flow call from start to return, and inside the
body the submit loop and the ``wait``. A one-task flow runs first in the same home, untimed.
Cadenza keeps the fastest of 3 repeats; Prefect runs once. Reported side by side; the only
target is that every future completes.
"""

from __future__ import annotations

from typing import Any

from harness import (
    PREFECT_TIMEOUT,
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

NAME = "submit_1k"


def _measure(
    python: str, fw: str, n: int, env: dict[str, str], timeout: float, repeats: int = 1
) -> dict[str, Any]:
    run(workload(python, "one_task_flow.py", fw), env, timeout)
    outs = []
    for _ in range(repeats):
        proc = run(workload(python, "submit_tasks.py", fw, n), env, timeout)
        out = proc.result()
        out["process_s"] = proc.wall
        outs.append(out)
    best = min(outs, key=lambda o: o["flow_call_s"])
    best["repeats"] = repeats
    best["repeats_flow_call_s"] = [round(o["flow_call_s"], 3) for o in outs]
    best["all_ok"] = all(o.get("ok") for o in outs)
    return best


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    n = 200 if cfg.quick else 1_000
    cad, pre, missing = measure_both(
        cfg,
        res,
        lambda python, fw, env, home, timeout, repeats: _measure(
            python, fw, n, env, timeout, repeats=repeats
        ),
        cadenza_repeats=1 if cfg.quick else 3,
        prefect_timeout=PREFECT_TIMEOUT,
    )

    def p(*path: str) -> float | str | None:
        return dig(pre, *path) if pre else missing

    c_wall = dig(cad, "flow_call_s")
    res.rows += [
        Row("tasks submitted", dig(cad, "n"), p("n"), None, "{:,.0f}"),
        Row(
            "flow call, start->return, best (s)",
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
            "  of which: submit loop (s)",
            dig(cad, "submit_s"),
            p("submit_s"),
            ratio(dig(pre, "submit_s"), dig(cad, "submit_s")),
            "{:.3f}",
        ),
        Row("  of which: wait(futures) (s)", dig(cad, "wait_s"), p("wait_s"), None, "{:.3f}"),
        Row("futures done", dig(cad, "done"), p("done"), None, "{:,.0f}"),
    ]
    res.targets.append(
        Target(
            "every future done with the right result",
            1.0 if cad and cad["all_ok"] else 0.0 if cad else None,
            1.0,
            "==",
        )
    )
    return res
