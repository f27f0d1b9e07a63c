"""map_100k: ``inc.map(range(100_000))`` in one flow, Cadenza only: wall, peak RSS, RSS growth.

Two children, each in the same fresh home after an untimed one-task warm-up flow:

1. one map of N items, then ``.result()``: flow call time, the child's peak RSS (``ru_maxrss``
   read in the child at the end) and the COMPLETED task runs in the record;
2. the same N items as 4 consecutive maps of N/4, each chunk's futures dropped before the next,
   with a ``gc.collect()`` and a read of ``/proc/self/statm`` after each chunk. The slope
   between chunk 2 and chunk 4, (RSS4 - RSS2) / (2 * N/4), is the memory left behind per
   completed task. It is reported, not asserted.
"""

from __future__ import annotations

from typing import Any

from harness import BenchResult, Config, Row, Target, cadenza_env, dig, temp_home
from map_10k import measure_map

NAME = "map_100k"
LIMIT_RSS_MIB = 1024.0
CHUNKS = 4
TIMEOUT = 300.0  # about 20 s per child here; the machine's speed drifts by up to ~2.4x


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    n = 20_000 if cfg.quick else 100_000
    one: dict[str, Any] | None = None
    chunked: dict[str, Any] | None = None
    with temp_home("cadenza") as home:
        env = cadenza_env(home)
        try:
            one = measure_map(cfg.cadenza_python, "cadenza", n, env, home, TIMEOUT)
            res.data["single_map"] = one
        except Exception as exc:
            res.errors.append(f"cadenza single map: {exc}")
    with temp_home("cadenza") as home:
        env = cadenza_env(home)
        try:
            chunked = measure_map(
                cfg.cadenza_python, "cadenza", n, env, home, TIMEOUT, chunks=CHUNKS
            )
            samples = chunked["rss_after_chunk_bytes"]
            size = chunked["chunk_size"]
            chunked["rss_after_chunk_mib"] = [round(s / 2**20, 1) for s in samples]
            chunked["slope_bytes_per_task"] = (samples[3] - samples[1]) / (2 * size)
            res.data["chunked_map"] = chunked
        except Exception as exc:
            res.errors.append(f"cadenza chunked map: {exc}")

    size = chunked["chunk_size"] if chunked else n // CHUNKS
    res.rows += [
        Row("tasks mapped", dig(one, "n"), "cadenza only", None, "{:,.0f}"),
        Row(
            "single map: flow call, start->return (s)",
            dig(one, "flow_call_s"),
            None,
            None,
            "{:.2f}",
        ),
        Row(
            "single map: flow start->exit incl. flush (s)",
            dig(one, "flow_to_exit_s"),
            None,
            None,
            "{:.2f}",
        ),
        Row("single map: peak RSS (MiB)", dig(one, "maxrss_mib"), None, None, "{:.0f}"),
        Row(
            "single map: COMPLETED task runs recorded", dig(one, "completed"), None, None, "{:,.0f}"
        ),
        Row(
            f"{CHUNKS} x {size:,} map: flow call (s)",
            dig(chunked, "flow_call_s"),
            None,
            None,
            "{:.2f}",
        ),
        Row(
            f"{CHUNKS} x {size:,} map: RSS after each chunk (MiB)",
            " ".join(map(str, (chunked or {}).get("rss_after_chunk_mib", []))) or None,
            None,
            None,
            "{}",
        ),
        Row(
            f"{CHUNKS} x {size:,} map: peak RSS (MiB)",
            dig(chunked, "maxrss_mib"),
            None,
            None,
            "{:.0f}",
        ),
        Row(
            "RSS growth per completed task, chunk 2->4 (bytes)",
            dig(chunked, "slope_bytes_per_task"),
            None,
            None,
            "{:,.0f}",
        ),
        Row(
            f"{CHUNKS} x {size:,} map: COMPLETED task runs recorded",
            dig(chunked, "completed"),
            None,
            None,
            "{:,.0f}",
        ),
    ]
    res.targets.append(
        Target("cadenza single map peak RSS", dig(one, "maxrss_mib"), LIMIT_RSS_MIB, "<=", "MiB")
    )
    return res
