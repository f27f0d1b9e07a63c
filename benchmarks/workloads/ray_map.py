"""``inc.map(range(N))`` inside one flow whose task runner is Ray, then ``.result()``.

usage: python ray_map.py {cadenza|prefect} N

The runner starts a local Ray cluster with 2 CPUs and no dashboard (``ray.init`` with
``num_cpus=2, include_dashboard=False``): ``cadenza_ray.RayTaskRunner`` or
``prefect_ray.RayTaskRunner``, same ``init_kwargs``. Both start the cluster on the flow run's
first submission, so ``map_s`` (first submit -> all results, measured in the flow body) includes
the cluster start on both sides, as does ``flow_call_s`` (flow call start -> return).
``body_start_s`` is flow call start -> first line of the body; ``exit_s`` is the body's return
-> flow call return (the runner's shutdown, which stops the cluster). ``flow_start`` is a
perf_counter reading (CLOCK_MONOTONIC on Linux).
"""

from __future__ import annotations

import os
import sys
import time
from importlib import import_module

from wl_common import call_flow, emit, framework

INIT_KWARGS: dict[str, object] = {"num_cpus": 2, "include_dashboard": False}
# Ray's usage report is sent at cluster start: off on both sides (no network for it here)
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def runner(fw_name: str) -> object:
    module = "cadenza_ray" if fw_name == "cadenza" else "prefect_ray"
    return import_module(module).RayTaskRunner(init_kwargs=dict(INIT_KWARGS))


def main() -> None:
    fw = framework(sys.argv[1])
    n = int(sys.argv[2])

    @fw.task
    def inc(x: int) -> int:
        return x + 1

    @fw.flow(task_runner=runner(sys.argv[1]))
    def ray_map_flow(n: int) -> dict[str, float]:
        pc = time.perf_counter
        t0 = pc()
        total = sum(inc.map(range(n)).result())
        t1 = pc()
        return {"total": total, "body_start": t0, "map_s": t1 - t0, "body_end": pc()}

    flow_start = time.perf_counter()
    result, run_id = call_flow(ray_map_flow, n)
    flow_return = time.perf_counter()
    emit(
        {
            "n": n,
            "ok": result["total"] == n * (n + 1) // 2,
            "flow_run_id": run_id,
            "flow_start": flow_start,
            "flow_call_s": flow_return - flow_start,
            "map_s": result["map_s"],
            "body_start_s": result["body_start"] - flow_start,
            "exit_s": flow_return - result["body_end"],
        }
    )


if __name__ == "__main__":
    main()
