"""A flow of N sequential trivial tasks; prints its flow run id so the record can be checked.

usage: python many_tasks.py {cadenza|prefect} N
"""

from __future__ import annotations

import sys
import time

from wl_common import call_flow, emit, framework


def main() -> None:
    fw = framework(sys.argv[1])
    n = int(sys.argv[2])

    @fw.task
    def inc(x: int) -> int:
        return x + 1

    @fw.flow
    def many_tasks(n: int) -> int:
        total = 0
        for i in range(n):
            total += inc(i)
        return total

    start = time.perf_counter()
    result, run_id = call_flow(many_tasks, n)
    elapsed = time.perf_counter() - start
    emit(
        {
            "n": n,
            "ok": result == n * (n + 1) // 2,
            "flow_run_id": run_id,
            "flow_s": elapsed,
            "flow_start": start,  # perf_counter (CLOCK_MONOTONIC): comparable with the parent's
        }
    )


if __name__ == "__main__":
    main()
