"""``inc.map(range(N))`` inside one flow on the default task runner, then ``.result()``.

usage: python map_tasks.py {cadenza|prefect} N [CHUNKS]

With CHUNKS > 1 the N items are mapped in CHUNKS consecutive maps of N / CHUNKS. Each chunk's
futures are dropped before the next chunk starts; after each chunk a garbage collection runs and
the current RSS is read from /proc/self/statm, so the parent can see how much memory stays
behind per completed task. ``flow_start`` is a perf_counter reading (CLOCK_MONOTONIC on Linux).
``maxrss_kib`` is the child's peak RSS (``ru_maxrss``, KiB on Linux), read at the very end.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time

from wl_common import call_flow, emit, framework

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Current resident set size: second field of /proc/self/statm, in pages."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def main() -> None:
    fw = framework(sys.argv[1])
    n = int(sys.argv[2])
    chunks = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    size = n // chunks

    @fw.task
    def inc(x: int) -> int:
        return x + 1

    @fw.flow
    def map_flow(n: int) -> dict[str, object]:
        total = 0
        rss_after: list[int] = []
        rss_before = rss_bytes()
        for c in range(chunks):
            futures = inc.map(range(c * size, (c + 1) * size))
            total += sum(futures.result())
            del futures  # nothing from this chunk is kept by the flow body
            if chunks > 1:
                gc.collect()
                rss_after.append(rss_bytes())
        return {"total": total, "rss_before": rss_before, "rss_after": rss_after}

    rss_start = rss_bytes()
    flow_start = time.perf_counter()
    result, run_id = call_flow(map_flow, n)
    flow_return = time.perf_counter()
    m = size * chunks
    emit(
        {
            "n": m,
            "chunks": chunks,
            "chunk_size": size,
            "ok": result["total"] == m * (m + 1) // 2,
            "flow_run_id": run_id,
            "flow_start": flow_start,
            "flow_call_s": flow_return - flow_start,
            "rss_start_bytes": rss_start,
            "rss_flow_body_start_bytes": result["rss_before"],
            "rss_after_chunk_bytes": result["rss_after"],
            "rss_end_bytes": rss_bytes(),
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    )


if __name__ == "__main__":
    main()
