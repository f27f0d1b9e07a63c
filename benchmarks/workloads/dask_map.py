"""``inc.map(range(N))`` inside one flow whose task runner is Dask, then ``.result()``.

usage: python dask_map.py {cadenza|prefect} N

The runner starts a ``LocalCluster`` of 2 worker processes with 1 thread each, on 127.0.0.1,
with no dashboard: ``cadenza_dask.DaskTaskRunner`` or ``prefect_dask.DaskTaskRunner``, same
``cluster_kwargs`` (Prefect's gets ``host="127.0.0.1"`` too, cadenza's binds there by default).
Both runners start the cluster on the flow run's first submission, so ``map_s`` (first submit ->
all results, measured in the flow body) includes the cluster start on both sides, as does
``flow_call_s`` (flow call start -> return). ``body_start_s`` is flow call start -> first line
of the body; ``exit_s`` is the body's return -> flow call return (the runner's shutdown, which
closes the cluster). ``flow_start`` is a perf_counter reading (CLOCK_MONOTONIC on Linux).
"""

from __future__ import annotations

import sys
import time
from importlib import import_module

from wl_common import call_flow, emit, framework

CLUSTER_KWARGS: dict[str, object] = {
    "n_workers": 2,
    "threads_per_worker": 1,
    "processes": True,
    "dashboard_address": None,
}


def runner(fw_name: str) -> object:
    if fw_name == "cadenza":
        return import_module("cadenza_dask").DaskTaskRunner(cluster_kwargs=CLUSTER_KWARGS)
    return import_module("prefect_dask").DaskTaskRunner(
        cluster_kwargs={**CLUSTER_KWARGS, "host": "127.0.0.1"}
    )


def main() -> None:
    fw = framework(sys.argv[1])
    n = int(sys.argv[2])

    @fw.task
    def inc(x: int) -> int:
        return x + 1

    @fw.flow(task_runner=runner(sys.argv[1]))
    def dask_map_flow(n: int) -> dict[str, float]:
        pc = time.perf_counter
        t0 = pc()
        total = sum(inc.map(range(n)).result())
        t1 = pc()
        return {"total": total, "body_start": t0, "map_s": t1 - t0, "body_end": pc()}

    flow_start = time.perf_counter()
    result, run_id = call_flow(dask_map_flow, n)
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
