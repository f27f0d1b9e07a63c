"""Killing a flow process at chosen moments, and checking that the record tells the truth.

`FlowProcess` runs `SCRIPT` (a flow of `n` tasks that log, with one task that can stop and
wait to be killed) in a child process and SIGKILLs it by PID: when it prints a marker, or after
a delay. `truthful` reads a record afterwards — through the CLI, which marks runs of dead
processes Crashed first — and returns what it found, asserting that no run is left active, that
every final task run of a crashed flow run is accounted for, and that nothing is duplicated.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SCRIPT = """
import os, sys, time
from cadenza import flow, task, get_run_logger

STOP_AT = int(os.environ.get("KILL_STOP_AT", "-1"))

@task
def work(i: int) -> int:
    get_run_logger().info("work %d", i)
    if i == STOP_AT:
        print("MID-TASK", flush=True)
        time.sleep(120)
    return i

@flow(flow_run_name="killed")
def killed(n: int) -> int:
    print("IN-FLOW", flush=True)
    return sum(work(i) for i in range(n))

print("RESULT", killed(int(sys.argv[1])), flush=True)
"""

ACTIVE = {None, "SCHEDULED", "PENDING", "RUNNING", "CANCELLING", "PAUSED"}


class FlowProcess:
    def __init__(self, tmp: Path, env: dict[str, str], n: int, stop_at: int = -1) -> None:
        script = tmp / "killed_flow.py"
        script.write_text(SCRIPT)
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(n)],
            env={**os.environ, **env, "KILL_STOP_AT": str(stop_at)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def wait_for(self, marker: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(
                    f"the flow exited before {marker!r}: {self.proc.stderr.read()}"
                )
            if line.startswith(marker):
                return
        raise AssertionError(f"no {marker!r} within {timeout} s")

    def kill(self) -> int | None:
        """SIGKILL (if still running); the exit status, None if it had already finished."""
        finished = self.proc.poll() is not None
        if not finished:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.communicate(timeout=30)
        return None if finished else self.proc.returncode


def cli_json(*args: str, env: dict[str, str]) -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args, "--json"],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def truthful_embedded(home: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """The flow runs of the embedded record at `home` after the CLI reaped it, checked."""
    runs = cli_json("runs", "ls", env=env)
    conn = sqlite3.connect(home / "cadenza.db")
    try:
        left = conn.execute(
            "SELECT name, state_type FROM flow_runs WHERE state_type IS NULL OR state_type IN "
            "('SCHEDULED','PENDING','RUNNING','CANCELLING','PAUSED') "
            "UNION ALL SELECT name, state_type FROM task_runs WHERE state_type IS NULL OR "
            "state_type IN ('SCHEDULED','PENDING','RUNNING','CANCELLING','PAUSED')"
        ).fetchall()
        assert left == [], f"runs left active after their process died: {left}"
        crashed = conn.execute(
            "SELECT state_message FROM flow_runs WHERE state_type = 'CRASHED'"
        ).fetchall()
        assert all(message for (message,) in crashed), "a Crashed run without a reason"
        twice = conn.execute(
            "SELECT run_id, transition_id, count(*) FROM run_states "
            "GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        assert twice == [], f"transitions recorded twice: {twice}"
        repeated = conn.execute(
            "SELECT flow_run_id, task_run_id, message, count(*) FROM logs "
            "GROUP BY 1, 2, 3, timestamp HAVING count(*) > 1"
        ).fetchall()
        assert repeated == [], f"log lines recorded twice: {repeated[:5]}"
    finally:
        conn.close()
    return runs
