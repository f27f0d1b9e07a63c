"""A deployment on a schedule, served from this process on the embedded record (no server).

    python examples/scheduled.py            # serves until Ctrl+C, as `flow.serve()` does
    python examples/scheduled.py --for 7    # serves for 7 seconds, then stops (make demo)

`report.serve(...)` alone is all a Prefect 3 user writes; the `--for` option stops the
`Runner` behind it after a while so that `make demo` ends. While it serves, ask for more runs
with ``cadenza deployments run report/every-2s --param label=manual``; afterwards look at the
record with ``cadenza runs ls`` (runs of the deployment carry its id).
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone

from cadenza import flow, task


@task
def measure() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@flow(log_prints=True)
def report(label: str = "scheduled") -> str:
    stamp = measure()
    print(f"{label} report at {stamp}")
    return stamp


if __name__ == "__main__":
    if "--for" not in sys.argv:
        report.serve(name="every-2s", interval=2)
    else:
        from cadenza.deployments.runner import Runner

        seconds = float(sys.argv[sys.argv.index("--for") + 1])
        runner = Runner()
        runner.add_deployment(report.to_deployment("every-2s", interval=2))
        print(f"Serving 'report/every-2s' (every 2 s) for {seconds:g} s ...", flush=True)
        threading.Timer(seconds, runner.stop).start()
        runner.start()
        print(f"Started {runner.started} scheduled run(s); the deployment is paused again.")
