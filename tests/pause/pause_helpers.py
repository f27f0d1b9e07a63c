"""Helpers of the pause tests: flow scripts in their own processes, the CLI, waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from backends.server_process import kill_process, stop_process


class Flows:
    """Flow scripts run in their own processes, each printing ``EVENT <json>`` lines."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.procs: list[tuple[subprocess.Popen[str], Path]] = []

    def start(self, body: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        n = len(self.procs)
        script = self.directory / f"flow_{n}.py"
        script.write_text(PRELUDE + textwrap.dedent(body))
        out = self.directory / f"flow_{n}.out"
        with open(out, "w") as sink:
            proc = subprocess.Popen(
                [sys.executable, str(script)], stdout=sink, stderr=subprocess.STDOUT, text=True,
                env={**os.environ, **(env or {})}, cwd=self.directory,
            )  # fmt: skip
        self.procs.append((proc, out))
        return proc

    def output(self, proc: subprocess.Popen[str]) -> str:
        return next(out for p, out in self.procs if p is proc).read_text(errors="replace")

    def events(self, proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
        return [
            json.loads(line[6:])
            for line in self.output(proc).splitlines()
            if line.startswith("EVENT ")
        ]

    def wait_event(self, proc: subprocess.Popen[str], kind: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events(proc):
                if event.get("kind") == kind:
                    return event
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {kind!r} event; output:\n{self.output(proc)[-3000:]}")
            time.sleep(0.02)

    def close(self) -> None:
        for proc, _ in self.procs:
            stop_process(proc)
            kill_process(proc)


PRELUDE = """\
import json, sys, time

def event(kind, **data):
    print("EVENT " + json.dumps({"kind": kind, "at": time.time(), **data}), flush=True)

"""


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``cadenza ARGS`` in a fresh process with this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        capture_output=True, text=True, timeout=timeout, env=dict(os.environ),
    )  # fmt: skip


def wait_state(read: Any, run_id: str, wanted: str, timeout: float = 30) -> dict[str, Any]:
    """Poll ``read(run_id)`` (a dict with ``state``) until its state type is `wanted`."""
    deadline = time.monotonic() + timeout
    while True:
        run = read(run_id)
        if run and (run.get("state") or {}).get("type") == wanted:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} did not become {wanted}: {run}")
        time.sleep(0.05)
