"""A real server process for the client tests: uvicorn on 127.0.0.1, a free port, its own home."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from backends.server_process import kill_process, stop_process
from cadenza.testing.services import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server process exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


class LiveServer:
    """``uvicorn --factory cadenza.server.app:create_app`` in a subprocess; restartable on the
    same port and database; stopped by its PID."""

    def __init__(self, home: Path, api_key: str | None = None) -> None:
        self.home = home
        self.api_key = api_key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.db = home / "cadenza.db"
        self.proc: subprocess.Popen | None = None

    def start(self) -> LiveServer:
        env = {**os.environ, "CADENZA_HOME": str(self.home)}
        env.pop("CADENZA_API_URL", None)
        env.pop("CADENZA_SERVER_API_KEY", None)
        if self.api_key:
            env["CADENZA_SERVER_API_KEY"] = self.api_key
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "cadenza.server.app:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        wait_until_up(f"{self.url}/health", self.proc)
        return self

    def kill(self) -> None:
        """Stop the server abruptly (SIGKILL by PID)."""
        kill_process(self.proc)
        self.proc = None

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None
