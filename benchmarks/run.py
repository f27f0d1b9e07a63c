"""Run Cadenza's performance benchmarks, print a table and write results/latest.json.

    .venv/bin/python benchmarks/run.py [--quick] [--no-prefect] [--only NAME ...]
                                       [--with-prefect-install]

Exits 1 when a cadenza target is missed or a cadenza measurement fails. Prefect figures are
context only: when its venv (benchmarks/.prefect-venv) is absent they read "not installed".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dashboard_browser
import dashboard_queries
import dask_map_1k
import flow_process
import import_time
import map_10k
import map_100k
import ray_map
import record_completeness
import server_ingest
import server_ingest_pg
import server_overhead
import submit_1k
import task_overhead
from harness import (
    BENCH_DIR,
    BenchResult,
    Cell,
    Config,
    log,
    package_version,
    prefect_python,
    python_version,
)

BENCHES: dict[str, Callable[[Config], BenchResult]] = {
    import_time.NAME: import_time.bench,
    task_overhead.NAME: task_overhead.bench,
    flow_process.NAME: flow_process.bench,
    record_completeness.NAME: record_completeness.bench,
    map_10k.NAME: map_10k.bench,
    map_100k.NAME: map_100k.bench,
    submit_1k.NAME: submit_1k.bench,
    dask_map_1k.NAME: dask_map_1k.bench,
    ray_map.NAME: ray_map.bench,
    server_ingest.NAME: server_ingest.bench,
    server_ingest_pg.NAME: server_ingest_pg.bench,
    server_overhead.NAME: server_overhead.bench,
    dashboard_queries.NAME: dashboard_queries.bench,
    dashboard_browser.NAME: dashboard_browser.bench,
}
RESULTS = BENCH_DIR / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller N, fewer repeats (smoke run)")
    p.add_argument("--no-prefect", action="store_true", help="skip the Prefect comparison")
    p.add_argument(
        "--with-prefect-install",
        action="store_true",
        help="create benchmarks/.prefect-venv first (setup_prefect.sh)",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these (repeat or comma-separate): {', '.join(BENCHES)}",
    )
    args = p.parse_args(argv)
    only = [name for item in args.only for name in item.split(",") if name]
    unknown = sorted(set(only) - set(BENCHES))
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    args.only = only
    return args


def make_config(args: argparse.Namespace) -> Config:
    if args.with_prefect_install:
        subprocess.run(["bash", str(BENCH_DIR / "setup_prefect.sh")], check=True)
    ppy = prefect_python()
    if args.no_prefect:
        return Config(args.quick, sys.executable, None, "skipped")
    if not ppy.exists():
        return Config(args.quick, sys.executable, None, "not installed")
    return Config(args.quick, sys.executable, str(ppy), "ok")


def fmt_cell(value: Cell, fmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return fmt.format(value)


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def print_table(results: list[BenchResult]) -> None:
    header = ("metric", "cadenza", "prefect", "prefect/cadenza")
    lines: list[tuple[str, ...]] = []
    for res in results:
        lines.append((f"[{res.name}]", "", "", ""))
        for row in res.rows:
            r = "" if row.ratio is None else f"{row.ratio:,.1f}x"
            lines.append(
                (
                    f"  {row.metric}",
                    fmt_cell(row.cadenza, row.fmt),
                    fmt_cell(row.prefect, row.fmt),
                    r,
                )
            )
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(4)]

    def show(cols: tuple[str, ...]) -> str:
        first = cols[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cols[1:], widths[1:], strict=True))])

    print(show(header))
    print("-" * (sum(widths) + 6))
    for line in lines:
        print(show(line))
    print()
    print("targets")
    for res in results:
        for t in res.targets:
            if t.skipped:
                status, value = "skip", t.skipped
            else:
                status = "PASS" if t.passed else "FAIL"
                value = "n/a" if t.value is None else _num(t.value)
            print(f"  {status}  {res.name}: {t.name}: {value} {t.op} {_num(t.limit)} {t.unit}")
        for err in res.errors:
            print(f"  FAIL  {res.name}: {err.splitlines()[0]}")
            for extra in err.splitlines()[1:]:
                print(f"          {extra}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = make_config(args)
    names = args.only or list(BENCHES)
    started = time.time()
    results: list[BenchResult] = []
    for name in names:
        log(f"running {name}{' (quick)' if cfg.quick else ''} ...")
        t0 = time.perf_counter()
        results.append(BENCHES[name](cfg))
        log(f"  {name} took {time.perf_counter() - t0:.1f} s")
    print()
    print_table(results)
    ok = all(r.passed for r in results)
    payload = {
        "meta": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "seconds": round(time.time() - started, 2),
            "quick": cfg.quick,
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "python": python_version(cfg.cadenza_python),
            "cadenza": package_version(cfg.cadenza_python, "cadenza"),
            "prefect": (
                package_version(cfg.prefect_python, "prefect")
                if cfg.prefect_python
                else cfg.prefect_status
            ),
        },
        "passed": ok,
        "benchmarks": {r.name: r.to_json() for r in results},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    print(f"\n{'all targets met' if ok else 'TARGETS MISSED'}; wrote {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
