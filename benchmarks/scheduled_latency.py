"""Workers: how late a scheduled run starts, and how many runs one worker gets through.

    .venv/bin/python benchmarks/scheduled_latency.py [--runs N] [--throughput-runs N]

Starts a server (SQLite, in a temporary directory), a ``process`` work pool and a deployment of
a trivial flow, then:

- latency, with 1 and with 4 ``cadenza worker start`` processes: N runs scheduled 3 s ahead and
  a little apart; for each, the time from its scheduled time to its claim (Pending: the worker
  wakes at the claim's ``next_due``) and to its Running state (then the child starts Python,
  imports cadenza, reads the run and loads the flow);
- throughput: N runs due now, one worker (``--limit 8``): completed runs per second, from the
  first claim to the last completion.

Workers poll every ``CADENZA_WORKER_POLL_INTERVAL`` (default 1 s); the latency shows the
``next_due`` wake-up, not the poll. Prints a table; not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLOW = textwrap.dedent(
    """
    from cadenza import flow

    @flow
    def trivial(i: int = 0):
        return i
    """
)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class Bench:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.env = {**os.environ, "CADENZA_HOME": str(home), "CADENZA_API_URL": self.url,
                    "CADENZA_LOGGING_CONSOLE": "false"}  # fmt: skip
        self.env.pop("CADENZA_API_KEY", None)
        self.procs: list[subprocess.Popen[bytes]] = []

    def start_server(self) -> None:
        env = {k: v for k, v in self.env.items() if k != "CADENZA_API_URL"}
        env["CADENZA_SERVER_SCHEDULER_INTERVAL"] = "1"
        log = open(self.home / "server.log", "wb")  # noqa: SIM115 - the child keeps it
        self.server = subprocess.Popen(
            [sys.executable, "-m", "cadenza.cli.main", "server", "start", "--port",
             str(self.port), "--database-url", f"sqlite:///{self.home / 'server.db'}"],
            env=env, cwd=ROOT, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()
        from cadenza.client.http import ApiClient

        self.client = ApiClient(self.url)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.client.health()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def deployment(self, pool: str) -> str:
        self.client.create_work_pool(pool, type="process")
        (self.home / "flows.py").write_text(FLOW)
        spec = {"flow_name": "trivial", "name": pool, "entrypoint": "flows.py:trivial",
                "path": str(self.home), "work_pool_name": pool}  # fmt: skip
        return str(self.client.apply_deployment(spec)["id"])

    def workers(self, pool: str, count: int, *args: str) -> list[subprocess.Popen[bytes]]:
        started = []
        for n in range(count):
            log = open(self.home / f"{pool}-worker-{n}.log", "wb")  # noqa: SIM115
            started.append(subprocess.Popen(
                [sys.executable, "-m", "cadenza.cli.main", "worker", "start", "--pool", pool,
                 "--name", f"{pool}-{n}", *args],
                env=self.env, cwd=self.home, stdout=log, stderr=log,
            ))  # fmt: skip
            log.close()
        self.procs.extend(started)
        return started

    def stop(self, procs: list[subprocess.Popen[bytes]]) -> None:
        for proc in procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()

    def wait_done(self, ids: list[str], timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        pending, done = set(ids), {}
        while pending:
            for run_id in list(pending):
                run = self.client.get_flow_run(run_id)
                if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED"):
                    done[run_id] = run
                    pending.discard(run_id)
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"{len(pending)} runs did not end in {timeout} s")
            time.sleep(0.2)
        return [done[i] for i in ids]

    def latency(self, workers: int, runs: int) -> tuple[list[float], list[float]]:
        pool = f"latency-{workers}"
        deployment = self.deployment(pool)
        procs = self.workers(pool, workers)
        time.sleep(3)  # the workers are up and idle, as in steady state
        base = time.time() + 3
        scheduled = {}
        for i in range(runs):
            at = base + i * 0.25
            run = self.client.create_flow_run_from_deployment(deployment, scheduled_time=at)
            scheduled[run["id"]] = at
        finished = self.wait_done(list(scheduled), 120 + runs)
        self.stop(procs)
        claimed, delays = [], []
        for run in finished:
            first = {}
            for state in run["states"]:
                first.setdefault(state["type"], _epoch(state["timestamp"]))
            claimed.append(first["PENDING"] - scheduled[run["id"]])
            delays.append(first["RUNNING"] - scheduled[run["id"]])
        return claimed, delays

    def throughput(self, runs: int) -> float:
        pool = "throughput"
        deployment = self.deployment(pool)
        ids = [self.client.create_flow_run_from_deployment(deployment, parameters={"i": i})["id"]
               for i in range(runs)]  # fmt: skip
        procs = self.workers(pool, 1, "--limit", "8")
        finished = self.wait_done(ids, 600)
        self.stop(procs)
        pending = [_epoch(s["timestamp"]) for r in finished for s in r["states"]
                   if s["type"] == "PENDING"]  # fmt: skip
        ends = [_epoch(r["states"][-1]["timestamp"]) for r in finished]
        return runs / (max(ends) - min(pending))

    def close(self) -> None:
        self.stop(self.procs)
        self.server.terminate()
        self.server.wait(30)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _row(label: str, values: list[float]) -> tuple[str, str, str, str]:
    return (label, f"median {statistics.median(values):.3f} s", f"p95 {_p95(values):.3f} s",
            f"max {max(values):.3f} s")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="scheduled runs per latency row")
    parser.add_argument("--throughput-runs", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cadenza-bench-workers-") as tmp:
        bench = Bench(Path(tmp))
        bench.start_server()
        try:
            rows = []
            for workers in (1, 4):
                claimed, delays = bench.latency(workers, args.runs)
                rows.append(_row(f"scheduled → claimed (Pending), {workers} worker(s)", claimed))
                rows.append(
                    _row(f"scheduled → Running, {workers} worker(s), {args.runs} runs", delays)
                )
            rate = bench.throughput(args.throughput_runs)
            rows.append((f"throughput, 1 worker (--limit 8), {args.throughput_runs} trivial runs",
                          f"{rate:.1f} runs/s", "", ""))  # fmt: skip
        finally:
            bench.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  result")
    for row in rows:
        print(f"{row[0].ljust(width)}  " + "  ".join(c for c in row[1:] if c))
    print(f"(cpus: {os.cpu_count()}, python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
