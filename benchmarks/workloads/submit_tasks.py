"""N ``inc.submit(i)`` calls inside one flow on the default task runner, then ``wait(futures)``.

usage: python submit_tasks.py {cadenza|prefect} N

``flow_call_s`` is the flow call from start to return; ``submit_s`` the submit loop alone and
``wait_s`` the ``wait`` after it (both measured inside the flow body).
"""

from __future__ import annotations

import sys
import time
from importlib import import_module

from wl_common import call_flow, emit, framework


def main() -> None:
    fw = framework(sys.argv[1])
    wait = import_module(f"{sys.argv[1]}.futures").wait
    n = int(sys.argv[2])

    @fw.task
    def inc(x: int) -> int:
        return x + 1

    @fw.flow
    def submit_flow(n: int) -> dict[str, object]:
        pc = time.perf_counter
        t0 = pc()
        futures = [inc.submit(i) for i in range(n)]
        t1 = pc()
        done, not_done = wait(futures)
        t2 = pc()
        total = sum(f.result() for f in futures)
        return {
            "total": total,
            "done": len(done),
            "not_done": len(not_done),
            "submit_s": t1 - t0,
            "wait_s": t2 - t1,
        }

    flow_start = time.perf_counter()
    result, run_id = call_flow(submit_flow, n)
    flow_return = time.perf_counter()
    emit(
        {
            **result,
            "n": n,
            "ok": result["total"] == n * (n + 1) // 2 and result["done"] == n,
            "flow_run_id": run_id,
            "flow_start": flow_start,
            "flow_call_s": flow_return - flow_start,
        }
    )


if __name__ == "__main__":
    main()
