"""`cadenza worker start` processes for the worker tests, and waiting for a condition."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backends.server_process import kill_process, stop_process


class Workers:
    """`cadenza worker start` processes, stopped by PID at the end of the test."""

    def __init__(self, env: dict[str, str], directory: Path) -> None:
        self.env, self.directory = env, directory
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self, pool: str, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        out = open(self.directory / f"worker-{n}.log", "wb")  # noqa: SIM115 - the child keeps it
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "cadenza.cli.main", "worker", "start", "--pool", pool,
                 "--name", f"w{n}-{uuid.uuid4().hex[:6]}", *args],
                env={**self.env, **(env or {})}, cwd=cwd or self.directory, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        finally:
            out.close()
        self.procs.append(proc)
        return proc

    def log(self, n: int = 0) -> str:
        return (self.directory / f"worker-{n}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(self.log(n) for n in range(len(self.procs)))

    def stop(self, proc: subprocess.Popen[bytes]) -> int:
        os.kill(proc.pid, signal.SIGTERM)
        return proc.wait(60)

    def close(self) -> None:
        for proc in self.procs:
            stop_process(proc)
            kill_process(proc)


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
