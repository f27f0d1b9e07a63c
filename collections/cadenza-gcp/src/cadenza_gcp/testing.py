"""Start a real Cloud Storage emulator for tests: ``start_gcs_emulator()``.

Used by cadenza-gcp's own tests and by any other test that needs GCS (a cross-collection example
flow, say)::

    from cadenza_gcp.testing import start_gcs_emulator

    with start_gcs_emulator() as emulator:
        emulator.create_bucket("results")
        bucket = emulator.bucket("results")          # a GcsBucket block for it
        bucket.write_path("hello.txt", b"hi")

The emulator is `gcp-storage-emulator` (``pip install gcp-storage-emulator``, which
``cadenza-gcp[test]`` brings), run as a separate process on 127.0.0.1 on a free port, in memory,
and stopped by its PID. This module imports only the standard library; cadenza-gcp's blocks are
imported by the helpers that return them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cadenza_gcp.bucket import GcsBucket
    from cadenza_gcp.credentials import GcpCredentials

EXECUTABLE = "gcp-storage-emulator"
MISSING = (
    "The Cloud Storage emulator `gcp-storage-emulator` was not found (next to "
    f"{sys.executable} nor on PATH): install it with `pip install gcp-storage-emulator` "
    "(or `pip install 'cadenza-gcp[test]'`)"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def emulator_command() -> list[str]:
    """The command that runs the emulator: its script beside this Python, else on PATH;
    `RuntimeError` naming what to install if there is none."""
    beside = Path(sys.executable).parent / EXECUTABLE
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which(EXECUTABLE)
    if found:
        return [found]
    raise RuntimeError(MISSING)


class GcsEmulator:
    """A running emulator process. ``endpoint`` is ``http://127.0.0.1:PORT``; `stop` (or
    leaving the ``with`` block) terminates it by PID."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.host = "127.0.0.1"
        self.endpoint = f"http://{self.host}:{port}"
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        """What the emulator printed so far (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10) -> None:
        """Terminate the process (then kill it if it lingers) and remove its log file."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        try:
            self.log_path.unlink()
        except OSError:
            pass

    def __enter__(self) -> GcsEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------------
    def create_bucket(self, name: str, project: str = "test") -> str:
        """Create a bucket through the JSON API (no SDK needed); returns its name."""
        request = urllib.request.Request(
            f"{self.endpoint}/storage/v1/b?project={project}",
            data=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        return name

    def credentials(self, project: str = "test") -> GcpCredentials:
        """Anonymous `GcpCredentials` pointed at this emulator."""
        return emulator_credentials(self.endpoint, project=project)

    def bucket(self, name: str, bucket_folder: str = "") -> GcsBucket:
        """A `GcsBucket` block for bucket ``name`` of this emulator (create it first)."""
        from cadenza_gcp.bucket import GcsBucket

        return GcsBucket(
            bucket=name, bucket_folder=bucket_folder, gcp_credentials=self.credentials()
        )


def emulator_credentials(endpoint: str, project: str = "test") -> GcpCredentials:
    """Anonymous `GcpCredentials` for the emulator at ``endpoint`` (``http://host:port``)."""
    from cadenza_gcp.credentials import GcpCredentials

    return GcpCredentials(anonymous=True, project=project, api_endpoint=endpoint)


def start_gcs_emulator(port: int | None = None, timeout: float = 30) -> GcsEmulator:
    """Start the emulator on 127.0.0.1 (on ``port``, or a free one), in memory, and wait until
    it answers. Raises `RuntimeError` if it is not installed or does not start (with its output).
    """
    command = emulator_command()
    attempts = 1 if port is not None else 3  # a free port can be taken before we bind it
    error = ""
    for _ in range(attempts):
        chosen = port if port is not None else free_port()
        fd, log_name = tempfile.mkstemp(prefix="cadenza-gcs-emulator-", suffix=".log")
        with os.fdopen(fd, "wb") as log:
            process = subprocess.Popen(
                [*command, "start", "--host", "127.0.0.1", "--port", str(chosen), "--in-memory"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        emulator = GcsEmulator(process, chosen, Path(log_name))
        if _wait_until_ready(emulator, timeout):
            return emulator
        error = emulator.log()
        emulator.stop()
    raise RuntimeError(f"The GCS emulator did not start within {timeout:.0f} s:\n{error[-2000:]}")


def _wait_until_ready(emulator: GcsEmulator, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not emulator.is_running():
            return False
        try:
            with urllib.request.urlopen(f"{emulator.endpoint}/", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    return False


__all__ = [
    "GcsEmulator",
    "emulator_command",
    "emulator_credentials",
    "free_port",
    "start_gcs_emulator",
]
