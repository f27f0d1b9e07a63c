"""server_scaleout: ingest into 1, 2 and 4 server processes on one PostgreSQL, from 16 clients.

For each server process count P, a throwaway PostgreSQL cluster (``cadenza.testing.postgres``:
127.0.0.1, ``fsync=off``) gets a fresh database and ``cadenza server start --workers P`` serves
it on a free port. Sixteen client processes (multiprocessing, spawn) each create a flow run and
then, for `--seconds` after a common start, post batches to ``POST /api/batch`` back to back over
one keep-alive connection: each batch creates `--batch` task runs and moves each through
Pending, Running and Completed (3 transitions per task run), as a busy process's HTTP backend
sends them. Reported per P: accepted task-run transitions per second (counted by the server's
answers, checked against ``run_states`` afterwards), p50 and p99 batch latency, the CPU seconds
each party used during the window — the server processes and PostgreSQL's (from /proc), the
clients (their own count), the whole machine (/proc/stat) — so the table says where the cores
went, and the most connections the servers held open to the database.

Then, unless ``--no-size``, the size of the record per task run: 20,000 task runs (3 states and
2 log lines of 80 characters each) through one server, and ``pg_total_relation_size`` of each
table (indexes and TOAST included) divided by the task runs — after ``VACUUM ANALYZE`` (as the
writes left the files, dead row versions of the updated rows included) and after ``VACUUM FULL``
(live rows only: the floor) — then 2,000 flow runs (3 states each) and their share.

    .venv/bin/python benchmarks/server_scaleout.py                  # P = 1, 2, 4; 20 s each
    .venv/bin/python benchmarks/server_scaleout.py --processes 1 2 --seconds 8 --no-size
    .venv/bin/python benchmarks/server_scaleout.py --pgbouncer 4 --no-size   # through PgBouncer

Cadenza only; not part of run.py (it wants the machine to itself for a minute and a half).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- processes and their CPU ----------------------------------------------------------------------
def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of `pid` from /proc, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def _tree(root: int) -> list[int]:
    """`root` and every process descended from it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat(int(entry))) is not None:
            parents[int(entry)] = found[0]
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(frontier)
    return tree


def _cpu(pids: list[int]) -> float:
    return sum(found[1] for pid in pids if (found := _stat(pid)) is not None)


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / CLK_TCK, sum(ticks) / CLK_TCK


def _postmaster(cluster: Any) -> int:
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


# -- one client -----------------------------------------------------------------------------------
def _state(name: str, now: float) -> dict[str, Any]:
    return {"type": name.upper(), "name": name, "timestamp": now}


def _batch(flow_run_id: str, size: int, logs: int) -> dict[str, Any]:
    now = time.time()
    runs, transitions, lines = [], [], []
    for i in range(size):
        run_id = str(uuid.uuid4())
        runs.append({"id": run_id, "flow_run_id": flow_run_id, "name": f"t-{i}",
                     "task_name": "t", "task_key": "t", "created": now})  # fmt: skip
        for name in ("Pending", "Running", "Completed"):
            transitions.append({"run_id": run_id, "flow_run_id": flow_run_id,
                                "transition_id": name, "state": _state(name, now)})  # fmt: skip
        for n in range(logs):
            lines.append({"id": str(uuid.uuid4()), "flow_run_id": flow_run_id,
                          "task_run_id": run_id, "level": 20, "logger": "cadenza.task_runs",
                          "message": f"line {n} of {run_id}: " + "x" * 35,
                          "timestamp": now})  # fmt: skip
    return {"task_runs": runs, "transitions": transitions, "logs": lines}


def client(url: str, start_at: float, seconds: float, size: int, logs: int,
           limit: int | None, out: Any) -> None:  # fmt: skip
    """Post batches from `start_at` for `seconds` (or until `limit` task runs): put
    ``{"transitions": n, "latencies": [...]}`` on `out`."""
    import httpx

    with httpx.Client(base_url=url, timeout=60) as http:
        flow_run_id = str(uuid.uuid4())
        http.post("/flow_runs", json={"id": flow_run_id, "name": "load", "flow_name": "load",
                                      "created": time.time()}).raise_for_status()  # fmt: skip
        time.sleep(max(0.0, start_at - time.time()))
        cpu = time.process_time()
        accepted, latencies, made = 0, [], 0
        end = start_at + seconds
        while time.time() < end and (limit is None or made < limit):
            body = _batch(flow_run_id, size, logs)
            t0 = time.perf_counter()
            answer = http.post("/batch", json=body)
            latencies.append(time.perf_counter() - t0)
            answer.raise_for_status()
            accepted += answer.json()["accepted"]
            made += size
        out.put({"transitions": accepted, "latencies": latencies,
                 "cpu_s": time.process_time() - cpu})  # fmt: skip


# -- one measurement ------------------------------------------------------------------------------
def _serve(
    url: str, workers: int, home: Path, port: int, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENZA_")}
    env["CADENZA_HOME"] = str(home)
    env.update(settings or {})
    cmd = [sys.executable, "-m", "cadenza.cli.main", "server", "start", "--port", str(port),
           "--database-url", url, "--workers", str(workers)]  # fmt: skip
    log = open(home / "server.log", "ab")  # noqa: SIM115 - the child keeps it
    try:
        return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=log)
    finally:
        log.close()


def _wait_up(api: str, workers: int, timeout: float = 90.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    pids: set[int] = set()
    while time.monotonic() < deadline:
        try:
            pids.add(httpx.get(f"{api}/services", timeout=2).json()["process"]["pid"])
            if len(pids) >= workers:
                return
        except (httpx.TransportError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    if workers == 1 or not pids:
        raise RuntimeError(f"{api} did not come up in {timeout} s")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure(
    workers: int, clients: int, seconds: float, size: int, pgbouncer: int = 0
) -> dict[str, Any]:
    from cadenza.testing.pgbouncer import start_pgbouncer
    from cadenza.testing.postgres import free_port, start_cluster

    cluster = start_cluster()
    home = Path(cluster.dir) / f"home-{workers}"
    home.mkdir()
    server = bouncer = None
    try:
        url = cluster.create_database()
        port = free_port()
        if pgbouncer:  # the servers connect through it; PostgreSQL sees its pool only
            bouncer = start_pgbouncer(cluster, pool_mode="transaction", pool_size=pgbouncer)
            settings = {"CADENZA_SERVER_DB_PREPARED_STATEMENTS": "false"}
            server = _serve(bouncer.url_for(url), workers, home, port, settings)
        else:
            server = _serve(url, workers, home, port)
        api = f"http://127.0.0.1:{port}/api"
        _wait_up(api, workers)
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        start_at = time.time() + 3.0 + clients * 0.15  # every client imported and connected
        procs = [ctx.Process(target=client, args=(api, start_at, seconds, size, 0, None, out))
                 for _ in range(clients)]  # fmt: skip
        for proc in procs:
            proc.start()
        time.sleep(max(0.0, start_at - time.time()))
        watcher = _Connections(url)
        servers, pg = _tree(server.pid), _tree(_postmaster(cluster))
        each = {pid: _cpu([pid]) for pid in servers}
        bouncer_pids = _tree(bouncer.proc.pid) if bouncer is not None and bouncer.proc else []
        bouncer_before = _cpu(bouncer_pids)
        before = (_cpu(servers), _cpu(pg), _machine_busy(), time.perf_counter())
        results = [out.get(timeout=seconds + 120) for _ in procs]
        # PostgreSQL's backends live as long as the servers' pooled connections: read them all
        after = (_cpu(_tree(server.pid)), _cpu(_tree(_postmaster(cluster))), _machine_busy(),
                 time.perf_counter())  # fmt: skip
        each = {pid: round(_cpu([pid]) - used, 1) for pid, used in each.items()}
        bouncer_cpu = _cpu(bouncer_pids) - bouncer_before
        peak_connections = watcher.stop()
        for proc in procs:
            proc.join(30)
        wall = after[3] - before[3]
        busy = after[2][0] - before[2][0]
        total = after[2][1] - before[2][1]
        latencies = [x for r in results for x in r["latencies"]]
        accepted = sum(r["transitions"] for r in results)
        stored = _count_states(url)
        return {
            "server_processes": workers,
            "pgbouncer_pool": pgbouncer or None,
            "clients": clients,
            "batch_task_runs": size,
            "window_s": round(wall, 2),
            "transitions_per_s": round(accepted / wall),
            "batches": len(latencies),
            "p50_batch_ms": round(_percentile(latencies, 0.50) * 1000, 1),
            "p99_batch_ms": round(_percentile(latencies, 0.99) * 1000, 1),
            "cpu_s": {
                "server": round(after[0] - before[0], 1),
                "postgresql": round(after[1] - before[1], 1),
                "clients": round(sum(r["cpu_s"] for r in results), 1),
                "pgbouncer": round(bouncer_cpu, 1) if bouncer is not None else None,
                "machine_busy": round(busy, 1),
                "per_server_process": sorted(each.values(), reverse=True),
                "window_x_cores": round(wall * (os.cpu_count() or 1), 1),
            },
            "machine_busy_share": round(busy / total, 3) if total else None,
            "peak_connections": peak_connections,
            "stored_task_states": stored,
            "accepted_transitions": accepted,
        }
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        if bouncer is not None:
            bouncer.stop()
        cluster.stop()


class _Connections:
    """The most connections the servers held open to the database, sampled every 0.25 s."""

    def __init__(self, url: str) -> None:
        import threading

        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import psycopg

        query = (
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid != pg_backend_pid()"
        )
        with psycopg.connect(self.url, autocommit=True) as con:
            while not self._done.wait(0.25):
                self.peak = max(self.peak, _scalar(con, query))

    def stop(self) -> int:
        self._done.set()
        self._thread.join(5)
        return self.peak


def _count_states(url: str) -> int:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as con:
        row = con.execute(
            "SELECT COUNT(*) FROM run_states WHERE run_id IN (SELECT id FROM task_runs)"
        ).fetchone()
    return int(row[0]) if row else 0


# -- the record's size ----------------------------------------------------------------------------
SIZE_TABLES = ("task_runs", "run_states", "logs", "flow_runs", "events")


def _scalar(con: Any, sql: str, args: tuple[Any, ...] = ()) -> int:
    row = con.execute(sql, args).fetchone()
    return int(row[0])


def _sizes(con: Any) -> dict[str, int]:
    size = "SELECT pg_total_relation_size(%s)"
    return {table: _scalar(con, size, (table,)) for table in SIZE_TABLES}


def _flow_runs(api: str, count: int) -> None:
    """`count` flow runs, each moved through Pending, Running and Completed (in batches)."""
    import httpx

    with httpx.Client(base_url=api, timeout=60) as http:
        for start in range(0, count, 100):
            now = time.time()
            ids = [str(uuid.uuid4()) for _ in range(min(100, count - start))]
            for run_id in ids:
                http.post("/flow_runs", json={"id": run_id, "name": run_id[:8],
                                              "flow_name": "sized", "created": now,
                                              "parameters": {"day": "2026-12-07"},
                                              "tags": ["nightly"]}).raise_for_status()  # fmt: skip
            moves = [{"run_id": run_id, "transition_id": name, "state": _state(name, now)}
                     for run_id in ids for name in ("Pending", "Running", "Completed")]  # fmt: skip
            http.post("/batch", json={"transitions": moves}).raise_for_status()


def measure_size(task_runs: int = 20_000, logs: int = 2, flow_runs: int = 2_000) -> dict[str, Any]:
    import psycopg

    from cadenza.testing.postgres import free_port, start_cluster

    cluster = start_cluster()
    home = Path(cluster.dir) / "home-size"
    home.mkdir()
    server = None
    try:
        url = cluster.create_database()
        plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
        port = free_port()
        server = _serve(url, 1, home, port)
        api = f"http://127.0.0.1:{port}/api"
        _wait_up(api, 1)
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        per = task_runs // 4
        procs = [ctx.Process(target=client, args=(api, time.time(), 3600, 100, logs, per, out))
                 for _ in range(4)]  # fmt: skip
        for proc in procs:
            proc.start()
        for _ in procs:
            out.get(timeout=600)
        for proc in procs:
            proc.join(30)
        with psycopg.connect(plain, autocommit=True) as con:
            con.execute("VACUUM ANALYZE")
            made = _scalar(con, "SELECT COUNT(*) FROM task_runs")
            written = _sizes(con)  # as the writes left them (dead row versions included)
            con.execute("VACUUM FULL")
            compact = _sizes(con)  # the floor: live rows only
        _flow_runs(api, flow_runs)
        with psycopg.connect(plain, autocommit=True) as con:
            con.execute("VACUUM FULL")
            with_flows = _sizes(con)
            database = _scalar(con, "SELECT pg_database_size(current_database())")
        flow_bytes = sum(with_flows.values()) - sum(compact.values())

        def per_million(sizes: dict[str, int], skip: tuple[str, ...] = ()) -> float:
            total = sum(b for t, b in sizes.items() if t not in skip)
            return round(total / made * 1e6 / 2**30, 2)

        return {
            "task_runs": made,
            "states_per_task_run": 3,
            "log_lines_per_task_run": logs,
            "bytes_per_task_run_compact": {t: round(b / made, 1) for t, b in compact.items()},
            "bytes_per_task_run_as_written": {t: round(b / made, 1) for t, b in written.items()},
            "gib_per_million_task_runs_compact": per_million(compact),
            "gib_per_million_task_runs_as_written": per_million(written),
            "gib_per_million_without_logs_compact": per_million(compact, ("logs",)),
            "flow_runs": flow_runs,
            "bytes_per_flow_run_compact": round(flow_bytes / flow_runs, 1),
            "database_bytes": database,
        }
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=50, help="task runs per batch")
    parser.add_argument("--no-size", action="store_true", help="skip the size measurement")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--pgbouncer", type=int, default=0, metavar="POOL",
        help="serve through PgBouncer (transaction mode, this default_pool_size; prepared "
        "statements off): the peak connections are then PostgreSQL's from PgBouncer",
    )  # fmt: skip
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"cores": os.cpu_count(), "runs": []}
    for workers in args.processes:
        row = measure(workers, args.clients, args.seconds, args.batch, args.pgbouncer)
        figures["runs"].append(row)
        print(json.dumps(row), flush=True)
    if not args.no_size:
        figures["size"] = measure_size()
        print(json.dumps(figures["size"]), flush=True)
    print()
    print(
        f"{'processes':>9} {'transitions/s':>13} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'cpu server':>10} {'cpu pg':>7} {'cpu clients':>11} {'busy':>6} {'of':>6}"
    )
    for row in figures["runs"]:
        cpu = row["cpu_s"]
        print(
            f"{row['server_processes']:>9} {row['transitions_per_s']:>13,} "
            f"{row['p50_batch_ms']:>8} {row['p99_batch_ms']:>8} {cpu['server']:>10} "
            f"{cpu['postgresql']:>7} {cpu['clients']:>11} {cpu['machine_busy']:>6} "
            f"{cpu['window_x_cores']:>6}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
