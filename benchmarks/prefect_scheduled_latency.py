"""Prefect 3 workers: how late a scheduled run starts, and how many runs one worker gets through.

    build/prefect-venv/bin/python benchmarks/prefect_scheduled_latency.py [--runs N]
        [--throughput-runs N] [--query-seconds S]

Prefect's counterpart of ``scheduled_latency.py`` (same measurements, same table shape). Runs
under a separate venv holding Prefect 3.9.1, never the project's::

    build/uv/bin/uv venv build/prefect-venv -p python3.11
    build/uv/bin/uv pip install -p build/prefect-venv/bin/python prefect==3.9.1

Sets ``PREFECT_HOME`` to a temporary directory, starts ``prefect server start`` (SQLite) on a
free port, points ``PREFECT_API_URL`` at it (for itself and every child), then for each row
creates a ``process`` work pool and a deployment of a trivial flow written to the temporary
directory (``flow.from_source(<dir>, "flows.py:trivial").deploy(...)``, no Docker):

- latency, with 1 and with 4 ``prefect worker start`` processes: N runs scheduled 3 s ahead and
  0.25 s apart; for each, the time from its scheduled time to its Pending state (the worker
  claims it) and to its Running state (set by the child ``python -m prefect.engine``);
- throughput: N runs due now, one worker (``--limit 8``): completed runs per second, from the
  first Pending to the last terminal state.

Workers keep Prefect's default polling (``PREFECT_WORKER_QUERY_SECONDS`` = 15 s, prefetch
``PREFECT_WORKER_PREFETCH_SECONDS`` = 10 s) unless ``--query-seconds`` is given; the label says
which. Every process is started in its own session and stopped by its PID's process group at the
end (workers, then the server), also on errors. Prints a table; not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

FLOW = textwrap.dedent(
    """
    from prefect import flow

    @flow
    def trivial(i: int = 0):
        return i
    """
)
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _epoch(ts: Any) -> float:
    if isinstance(ts, datetime):
        return ts.timestamp()
    return datetime.fromisoformat(str(ts)).timestamp()


class Bench:
    def __init__(self, home: Path, query_seconds: float | None) -> None:
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        env = {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": self.url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
        }
        if query_seconds is not None:
            env["PREFECT_WORKER_QUERY_SECONDS"] = str(query_seconds)
        os.environ.update(env)  # before prefect is imported: the settings come from here
        os.environ.pop("PREFECT_API_KEY", None)
        os.environ.pop("PREFECT_PROFILE", None)
        self.env = dict(os.environ)
        self.bin = Path(sys.executable).parent / "prefect"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.server: subprocess.Popen[bytes] | None = None

    def _spawn(
        self, args: list[str], log_name: str, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        log = open(self.home / log_name, "wb")  # noqa: SIM115 - the child keeps it
        proc = subprocess.Popen(
            [str(self.bin), *args], env=env, cwd=self.home, stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        return proc

    def start_server(self) -> None:
        env = {k: v for k, v in self.env.items() if k != "PREFECT_API_URL"}
        self.server = self._spawn(
            ["server", "start", "--host", "127.0.0.1", "--port", str(self.port)], "server.log", env
        )
        import httpx

        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            except Exception:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "prefect server did not start:\n"
                    + (self.home / "server.log").read_text()[-3000:]
                )
            time.sleep(0.2)
        from prefect.client.orchestration import get_client

        self.client = get_client(sync_client=True)
        self.client.__enter__()

    def deployment(self, pool: str) -> str:
        subprocess.run(
            [str(self.bin), "work-pool", "create", pool, "--type", "process"],
            env=self.env, cwd=self.home, check=True, capture_output=True,
        )  # fmt: skip
        (self.home / "flows.py").write_text(FLOW)
        from prefect import flow

        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            deployment_id = flow.from_source(
                source=str(self.home), entrypoint="flows.py:trivial"
            ).deploy(name=pool, work_pool_name=pool, print_next_steps=False, ignore_warnings=True)
        return str(deployment_id)

    def workers(self, pool: str, count: int, *args: str) -> list[subprocess.Popen[bytes]]:
        started = [
            self._spawn(
                ["worker", "start", "--pool", pool, "--name", f"{pool}-{n}", *args],
                f"{pool}-worker-{n}.log",
                self.env,
            )
            for n in range(count)
        ]
        self.procs.extend(started)
        return started

    @staticmethod
    def stop(procs: list[subprocess.Popen[bytes]]) -> None:
        for proc in procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)  # its own session: the group is its PID
                except ProcessLookupError:
                    pass
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def create_run(self, deployment: str, at: float | None = None, **parameters: Any) -> str:
        from prefect.states import Scheduled

        state = Scheduled(scheduled_time=datetime.fromtimestamp(at, timezone.utc)) if at else None
        run = self.client.create_flow_run_from_deployment(
            deployment, parameters=parameters or None, state=state
        )
        return str(run.id)

    def wait_done(self, ids: list[str], timeout: float) -> dict[str, list[Any]]:
        deadline = time.monotonic() + timeout
        pending, done = set(ids), {}
        while pending:
            for run_id in list(pending):
                run = self.client.read_flow_run(run_id)
                if run.state_type is not None and run.state_type.value in TERMINAL:
                    done[run_id] = sorted(self.client.read_flow_run_states(run_id),
                                          key=lambda s: _epoch(s.timestamp))  # fmt: skip
                    pending.discard(run_id)
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"{len(pending)} runs did not end in {timeout} s")
            time.sleep(0.5)
        for run_id, states in done.items():
            last = states[-1].type.value
            if last != "COMPLETED":
                raise RuntimeError(f"run {run_id} ended {last}: {states[-1].message}")
        return done

    def latency(self, workers: int, runs: int, tag: str) -> tuple[list[float], list[float]]:
        pool = f"latency-{workers}{tag}"
        deployment = self.deployment(pool)
        procs = self.workers(pool, workers)
        time.sleep(3)  # the workers are up and idle, as in steady state
        base = time.time() + 3
        scheduled = {}
        for i in range(runs):
            at = base + i * 0.25
            scheduled[self.create_run(deployment, at)] = at
        finished = self.wait_done(list(scheduled), 120 + 5 * runs)
        self.stop(procs)
        claimed, delays = [], []
        for run_id, states in finished.items():
            first: dict[str, float] = {}
            for state in states:
                first.setdefault(state.type.value, _epoch(state.timestamp))
            claimed.append(first["PENDING"] - scheduled[run_id])
            delays.append(first["RUNNING"] - scheduled[run_id])
        return claimed, delays

    def throughput(self, runs: int, tag: str) -> float:
        pool = f"throughput{tag}"
        deployment = self.deployment(pool)
        ids = [self.create_run(deployment, None, i=i) for i in range(runs)]
        procs = self.workers(pool, 1, "--limit", "8")
        finished = self.wait_done(ids, 900)
        self.stop(procs)
        pending = [_epoch(s.timestamp) for states in finished.values() for s in states
                   if s.type.value == "PENDING"]  # fmt: skip
        ends = [_epoch(states[-1].timestamp) for states in finished.values()]
        return runs / (max(ends) - min(pending))

    def close(self) -> None:
        try:
            self.stop(self.procs)
        finally:
            if getattr(self, "client", None) is not None:
                try:
                    self.client.__exit__(None, None, None)
                except Exception:
                    pass
            if self.server is not None:
                self.stop([self.server])


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _row(label: str, values: list[float]) -> tuple[str, str, str, str]:
    return (label, f"median {statistics.median(values):.3f} s", f"p95 {_p95(values):.3f} s",
            f"max {max(values):.3f} s")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="scheduled runs per latency row")
    parser.add_argument("--throughput-runs", type=int, default=30)
    parser.add_argument(
        "--query-seconds",
        type=float,
        default=None,
        help="PREFECT_WORKER_QUERY_SECONDS for the workers (default: Prefect's, 15)",
    )
    args = parser.parse_args(argv)
    poll = (
        f"poll {args.query_seconds:g} s" if args.query_seconds is not None else "default poll 15 s"
    )
    tag = "" if args.query_seconds is None else "-q"
    with tempfile.TemporaryDirectory(prefix="prefect-bench-workers-") as tmp:
        bench = Bench(Path(tmp), args.query_seconds)
        try:
            bench.start_server()
            rows = []
            for workers in (1, 4):
                claimed, delays = bench.latency(workers, args.runs, tag)
                rows.append(_row(f"scheduled → claimed (Pending), {workers} worker(s), {poll}",
                                 claimed))  # fmt: skip
                rows.append(_row(f"scheduled → Running, {workers} worker(s), {args.runs} runs, "
                                 f"{poll}", delays))  # fmt: skip
            rate = bench.throughput(args.throughput_runs, tag)
            rows.append((f"throughput, 1 worker (--limit 8), {args.throughput_runs} trivial runs, "
                         f"{poll}", f"{rate:.1f} runs/s", "", ""))  # fmt: skip
        finally:
            bench.close()
    import prefect

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  result")
    for row in rows:
        print(f"{row[0].ljust(width)}  " + "  ".join(c for c in row[1:] if c))
    print(
        f"(prefect {prefect.__version__}, cpus: {os.cpu_count()}, python {sys.version.split()[0]})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
