"""ray_map: ``inc.map(range(N))`` in one flow on a Ray task runner, for N = 1,000 and 10,000,
beside the same map on cadenza's Dask runner and on Prefect's Ray runner.

Ray: the runner starts a local cluster with 2 CPUs and no dashboard (workloads/ray_map.py;
``cadenza_ray.RayTaskRunner`` / ``prefect_ray.RayTaskRunner``, same ``init_kwargs``). Dask:
cadenza's runner starts a ``LocalCluster`` of 2 worker processes with 1 thread each
(workloads/dask_map.py, as ``dask_map_1k``): two workers either way. Each child times the flow
call from start to return, which includes starting and stopping the cluster, and inside the body
the map alone, first submit to all results (so the cluster start too: both runners start it on
the first submission). Afterwards the parent counts that flow run's COMPLETED task runs in the
record (``map_10k.count_task_runs``). A one-task flow on the default runner runs first in each
fresh home, untimed. Cadenza keeps the fastest of its repeats; Prefect (when its venv has
prefect-ray) runs once per N, side by side with the ratio. The only targets: every cadenza repeat,
Ray and Dask, returns the right sum with all N task runs recorded COMPLETED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import (
    CADENZA_TIMEOUT,
    BenchResult,
    Config,
    Row,
    Target,
    cadenza_env,
    dig,
    log,
    prefect_env,
    ratio,
    run,
    temp_home,
    workload,
)
from map_10k import count_task_runs

NAME = "ray_map"
# Prefect's Ray runner: the timeouts of one child, by N (Prefect's Dask runner took 92-429 s
# for 1,000 tasks here)
PREFECT_TIMEOUTS = {200: 600.0, 1_000: 600.0, 2_000: 600.0, 10_000: 600.0}
CADENZA_TIMEOUTS = {10_000: 300.0}  # else harness.CADENZA_TIMEOUT
WORKLOADS = {"ray": "ray_map.py", "dask": "dask_map.py"}


def _measure(
    python: str,
    fw: str,
    engine: str,
    n: int,
    env: dict[str, str],
    home: Path,
    timeout: float,
    repeats: int,
) -> dict[str, Any]:
    run(workload(python, "one_task_flow.py", fw), env, timeout)
    outs = []
    for _ in range(repeats):
        proc = run(workload(python, WORKLOADS[engine], fw, n), env, timeout)
        out = proc.result()
        out.update(count_task_runs(home, fw, out.get("flow_run_id")))
        out["process_s"] = proc.wall
        outs.append(out)
    best = min(outs, key=lambda o: o["flow_call_s"])
    best["repeats"] = repeats
    best["repeats_flow_call_s"] = [round(o["flow_call_s"], 3) for o in outs]
    best["repeats_map_s"] = [round(o["map_s"], 3) for o in outs]
    best["min_completed"] = min(o["completed"] for o in outs)
    best["all_ok"] = all(o.get("ok") for o in outs)
    return best


def _prefect_has_ray(cfg: Config) -> bool:
    if not cfg.prefect_python:
        return False
    probe = run([cfg.prefect_python, "-c", "import prefect_ray"], {}, 120.0, check=False)
    return probe.returncode == 0


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    sizes = (200, 2_000) if cfg.quick else (1_000, 10_000)
    repeats = 1 if cfg.quick else 2
    prefect_ray = _prefect_has_ray(cfg)
    if not cfg.prefect_python:
        missing = cfg.prefect_status
    else:
        missing = "ok" if prefect_ray else "no prefect-ray"
    for n in sizes:
        figures: dict[str, dict[str, Any] | None] = {}
        for engine in ("ray", "dask"):
            log(f"  cadenza {engine}, {n:,} tasks ...")
            with temp_home(f"cadenza-{engine}") as home:
                try:
                    figures[engine] = _measure(
                        cfg.cadenza_python,
                        "cadenza",
                        engine,
                        n,
                        cadenza_env(home),
                        home,
                        CADENZA_TIMEOUTS.get(n, CADENZA_TIMEOUT),
                        repeats,
                    )
                    res.data[f"cadenza_{engine}_{n}"] = figures[engine]
                except Exception as exc:
                    figures[engine] = None
                    res.errors.append(f"cadenza {engine} {n}: {exc}")
        pre: dict[str, Any] | None = None
        cell = missing
        if prefect_ray and cfg.prefect_python:
            log(f"  prefect ray, {n:,} tasks ...")
            timeout = PREFECT_TIMEOUTS.get(n, 900.0)
            with temp_home("prefect-ray") as home:
                try:
                    pre = _measure(
                        cfg.prefect_python,
                        "prefect",
                        "ray",
                        n,
                        prefect_env(home),
                        home,
                        timeout,
                        1,
                    )
                    res.data[f"prefect_ray_{n}"] = pre
                except Exception as exc:
                    res.data[f"prefect_ray_{n}_error"] = str(exc)
                    cell = f"timeout >{timeout:.0f} s" if "timed out" in str(exc) else "error"
        _rows(res, n, figures.get("ray"), figures.get("dask"), pre, cell)
    return res


def _rows(
    res: BenchResult,
    n: int,
    ray: dict[str, Any] | None,
    dask: dict[str, Any] | None,
    pre: dict[str, Any] | None,
    missing: str,
) -> None:
    def p(*path: str) -> float | str | None:
        return dig(pre, *path) if pre else missing

    def repeats(figures: dict[str, Any] | None, key: str) -> str | None:
        return " ".join(map(str, (figures or {}).get(key, []))) or None

    label = f"{n:,} tasks"
    ray_call, ray_map = dig(ray, "flow_call_s"), dig(ray, "map_s")
    res.rows += [
        Row(
            f"[{label}] Ray: flow call incl. cluster, best (s)",
            ray_call,
            p("flow_call_s"),
            ratio(dig(pre, "flow_call_s"), ray_call),
            "{:.3f}",
        ),
        Row(
            f"[{label}] Ray: flow call, every repeat (s)",
            repeats(ray, "repeats_flow_call_s"),
            None,
            None,
            "{}",
        ),
        Row(
            f"[{label}] Ray:   map, 1st submit->all results (s)",
            ray_map,
            p("map_s"),
            ratio(dig(pre, "map_s"), ray_map),
            "{:.3f}",
        ),
        Row(f"[{label}] Ray:   body return->flow return (s)", dig(ray, "exit_s"), p("exit_s")),
        Row(
            f"[{label}] Ray: COMPLETED task runs (fewest, all repeats)",
            dig(ray, "min_completed"),
            p("min_completed"),
            None,
            "{:,.0f}",
        ),
        Row(
            f"[{label}] Dask (cadenza): flow call incl. cluster, best (s)",
            dig(dask, "flow_call_s"),
            None,
            None,
            "{:.3f}",
        ),
        Row(
            f"[{label}] Dask (cadenza): flow call, every repeat (s)",
            repeats(dask, "repeats_flow_call_s"),
            None,
            None,
            "{}",
        ),
        Row(f"[{label}] Dask (cadenza):   map (s)", dig(dask, "map_s"), None, None, "{:.3f}"),
        Row(
            f"[{label}] Dask (cadenza): COMPLETED task runs (fewest)",
            dig(dask, "min_completed"),
            None,
            None,
            "{:,.0f}",
        ),
        Row(
            f"[{label}] cadenza Dask map / cadenza Ray map",
            None,
            None,
            ratio(dig(dask, "map_s"), ray_map),
            "{}",
        ),
    ]
    for engine, figures in (("Ray", ray), ("Dask", dask)):
        ok = None if figures is None else 1.0 if figures["all_ok"] else 0.0
        res.targets += [
            Target(f"{engine}, {label}: every repeat returned the right sum", ok, 1.0, "=="),
            Target(
                f"{engine}, {label}: COMPLETED task runs recorded (every repeat)",
                dig(figures, "min_completed"),
                n,
                "==",
            ),
        ]
