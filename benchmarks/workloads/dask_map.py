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
from importlib import import_module

from wl_common import timed_map

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
    timed_map(sys.argv[1], int(sys.argv[2]), runner(sys.argv[1]), "dask_map_flow")


if __name__ == "__main__":
    main()
