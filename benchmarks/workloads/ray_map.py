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
from importlib import import_module

from wl_common import timed_map

INIT_KWARGS: dict[str, object] = {"num_cpus": 2, "include_dashboard": False}
# Ray's usage report is sent at cluster start: off on both sides (no network for it here)
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def runner(fw_name: str) -> object:
    module = "cadenza_ray" if fw_name == "cadenza" else "prefect_ray"
    return import_module(module).RayTaskRunner(init_kwargs=dict(INIT_KWARGS))


def main() -> None:
    timed_map(sys.argv[1], int(sys.argv[2]), runner(sys.argv[1]), "ray_map_flow")


if __name__ == "__main__":
    main()
