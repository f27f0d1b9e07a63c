"""Cancelling runs of a `serve` process on the embedded record (no server): the child stops
and records Cancelled; a child that does not acknowledge is killed by the serving process after
the grace period and its run recorded Cancelled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# a serving process, its children and signals: with the slow tests, one at a time
pytestmark = pytest.mark.integration

FLOWS = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path
    from cadenza import flow, task

    @task
    def tick(i):
        time.sleep(0.05)

    @flow
    def loops():
        Path(__file__).with_name("started-loops").write_text("yes")
        for i in range(100000):
            tick(i)

    @flow
    def stubborn():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        Path(__file__).with_name("started-stubborn").write_text("yes")
        time.sleep(300)

    if __name__ == "__main__":
        from cadenza import serve
        serve(loops.to_deployment("d"), stubborn.to_deployment("d"))
    """
)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cadenza.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_cancels_and_kills_on_the_embedded_record(
    cadenza_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "flows.py").write_text(FLOWS)
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_CANCELLATION_GRACE": "2",
           "CADENZA_WORKER_POLL_INTERVAL": "0.2",
           "CADENZA_CANCELLATION_POLL_INTERVAL": "0.2"}  # fmt: skip
    env.pop("CADENZA_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "flows.py"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        _wait(lambda: _cli(env, "deployments", "show", "stubborn/d").returncode == 0, 60,
              "the deployments")  # fmt: skip
        runs = {}
        for name in ("loops/d", "stubborn/d"):
            done = _cli(env, "deployments", "run", name, "--json")
            assert done.returncode == 0, done.stderr
            runs[name] = json.loads(done.stdout)["id"]
        _wait(lambda: (tmp_path / "started-loops").exists()
              and (tmp_path / "started-stubborn").exists(), 60, "both runs to start")  # fmt: skip
        asked = time.monotonic()
        done = _cli(env, "runs", "cancel", runs["loops/d"], "--wait", "--json")
        assert json.loads(done.stdout)["ended"]["type"] == "CANCELLED", done.stdout + done.stderr
        took = time.monotonic() - asked
        shown = json.loads(_cli(env, "runs", "show", runs["loops/d"], "--json").stdout)
        # stopped by its own hand, not killed after the 2 s grace (a generous bound for a slow
        # machine: two CLI processes start within it)
        assert "did not acknowledge" not in (shown["state"]["message"] or ""), shown["state"]
        assert took < 30
        done = _cli(env, "runs", "cancel", runs["stubborn/d"], "--wait", "--json")
        assert json.loads(done.stdout)["ended"]["type"] == "CANCELLED", done.stdout + done.stderr
        shown = json.loads(_cli(env, "runs", "show", runs["stubborn/d"], "--json").stdout)
        assert "did not acknowledge the cancellation within 2 s" in shown["state"]["message"]
        assert proc.poll() is None  # the serving process goes on
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # a failed step left a child behind: stop them all
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)
            raise
