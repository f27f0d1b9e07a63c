"""Per-call cost of a trivial task inside one flow run, against the same plain function.

usage: python overhead.py {cadenza|prefect} N

Each call is timed on its own with perf_counter; the parent takes medians. ``flow_start`` is a
perf_counter reading (CLOCK_MONOTONIC on Linux, comparable with the parent's) so the parent can
measure flow start -> process exit, which includes any flush of the record at the end.
"""

from __future__ import annotations

import statistics
import sys
import time

from wl_common import call_flow, emit, framework


def plain(x: int) -> int:
    return x + 1


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    n = len(ordered)
    return {
        "median_us": statistics.median(ordered) * 1e6,
        "mean_us": statistics.fmean(ordered) * 1e6,
        "p10_us": ordered[n // 10] * 1e6,
        "p90_us": ordered[(n * 9) // 10] * 1e6,
        "p99_us": ordered[min(n - 1, (n * 99) // 100)] * 1e6,
        "max_us": ordered[-1] * 1e6,
    }


def main() -> None:
    fw = framework(sys.argv[1])
    n = int(sys.argv[2])

    @fw.task
    def inc(x: int) -> int:
        return x + 1

    @fw.flow
    def overhead_flow(n: int) -> dict[str, object]:
        pc = time.perf_counter
        body_start = pc()
        plain_s: list[float] = []
        task_s: list[float] = []
        ok = True
        for i in range(n):
            t0 = pc()
            r = plain(i)
            t1 = pc()
            plain_s.append(t1 - t0)
            ok = ok and r == i + 1
        loop_start = pc()
        for i in range(n):
            t0 = pc()
            r = inc(i)
            t1 = pc()
            task_s.append(t1 - t0)
            ok = ok and r == i + 1
        body_end = pc()
        return {
            "ok": ok,
            "plain": summary(plain_s),
            "task": summary(task_s),
            "task_loop_s": body_end - loop_start,
            "body_start": body_start,
            "body_end": body_end,
        }

    flow_start = time.perf_counter()
    result, run_id = call_flow(overhead_flow, n)
    flow_return = time.perf_counter()
    emit(
        {
            **result,
            "n": n,
            "flow_run_id": run_id,
            "flow_start": flow_start,
            "flow_call_s": flow_return - flow_start,
            # engine time around the body: entering the flow run, and finishing it
            "flow_enter_s": result["body_start"] - flow_start,
            "flow_finish_s": flow_return - result["body_end"],
        }
    )


if __name__ == "__main__":
    main()
