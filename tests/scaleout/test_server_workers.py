"""``cadenza server start --workers N``: N processes share one port on PostgreSQL, the singleton
services run in one of them, and a worker killed with ``kill -9`` hands them on within the lease
(and is replaced); on SQLite the option is refused, naming why."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from scaleout_helpers import (
    ENV,
    LEASE,
    SERVICES,
    holder_pid,
    live_holders,
    new_flow_run,
    services,
    wait_for,
)

from backends.server_process import ROOT, stop_process
from cadenza.testing.postgres import free_port


def _start(url: str, home: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CADENZA_HOME": str(home), **ENV}
    for name in ("CADENZA_API_URL", "CADENZA_API_KEY", "CADENZA_SERVER_API_KEY"):
        env.pop(name, None)
    log = open(home / "server.log", "ab")  # noqa: SIM115 - the child keeps it
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cadenza.cli.main", "server", "start", "--port", str(port),
             "--database-url", url, "--workers", str(workers)],
            env=env, cwd=ROOT, stdout=log, stderr=log,
        )  # fmt: skip
    finally:
        log.close()
    return proc, f"http://127.0.0.1:{port}/api"


def _pids(url: str, tries: int = 60) -> set[int]:
    """The pids of the processes that answered `tries` fresh connections."""
    return {services(url)["process"]["pid"] for _ in range(tries)}


@pytest.mark.integration
@pytest.mark.slow
def test_workers_share_the_port_and_a_killed_worker_s_services_move_on(
    pg_url: str, tmp_path: Path
) -> None:
    proc, url = _start(pg_url, tmp_path, 3)
    try:
        wait_for(lambda: _healthy(url), timeout=60, every=0.2)
        wait_for(lambda: len(_pids(url)) >= 2, timeout=30, every=0.2)  # the kernel spreads them
        holders = wait_for(lambda: _all_held(url), timeout=10)
        leader = holder_pid(holders["scheduler"])
        assert {holder_pid(h) for h in holders.values()} == {leader}
        assert leader != proc.pid  # a worker, not the supervisor

        os.kill(leader, signal.SIGKILL)
        killed = time.monotonic()

        def moved() -> dict[str, str] | None:
            try:
                held = _all_held(url)
            except httpx.TransportError:
                return None
            return held if held and leader not in {holder_pid(h) for h in held.values()} else None

        wait_for(moved, timeout=LEASE + LEASE / 3 + 5)
        assert time.monotonic() - killed <= LEASE + LEASE / 3 + 1.5
        flow = f"workers-{uuid.uuid4().hex[:6]}"
        for _ in range(10):  # every worker (the replacement too) serves the whole API
            run_id = new_flow_run(url, flow)
            assert httpx.get(f"{url}/flow_runs/{run_id}").json()["id"] == run_id
        wait_for(lambda: len(_pids(url)) >= 2 and leader not in _pids(url), timeout=30)
    finally:
        stop_process(proc)
    assert proc.returncode is not None


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _all_held(url: str) -> dict[str, str] | None:
    held = live_holders(services(url))
    return held if sorted(held) == sorted(SERVICES) else None


def test_workers_are_refused_on_sqlite_naming_why(tmp_path: Path) -> None:
    env = {**os.environ, "CADENZA_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "server", "start", "--port", "0",
         "--database-url", f"sqlite:///{tmp_path / 'server.db'}", "--workers", "2"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "--workers 2 needs PostgreSQL" in done.stderr
    assert "one server process" in done.stderr
    assert not (tmp_path / "server.db").exists()  # refused before anything was created
