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
and stopped by its PID: a `cadenza.testing.services.ServiceProcess`, from the core's testing kit.
This module imports only the standard library (and that kit module); cadenza-gcp's blocks are
imported by the helpers that return them.
"""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING

from cadenza.testing.services import (
    ServiceProcess,
    find_executable,
    free_port,
    missing_executable_message,
)

if TYPE_CHECKING:
    from cadenza_gcp.bucket import GcsBucket
    from cadenza_gcp.credentials import GcpCredentials

EXECUTABLE = "gcp-storage-emulator"
INSTALL = "`pip install gcp-storage-emulator` (or `pip install 'cadenza-gcp[test]'`)"
MISSING = missing_executable_message(EXECUTABLE, INSTALL)


def emulator_command() -> list[str]:
    """The command that runs the emulator: its script beside this Python, else on PATH;
    `RuntimeError` naming what to install if there is none."""
    return [find_executable(EXECUTABLE, INSTALL)]


class GcsEmulator(ServiceProcess):
    """The emulator's process (`cadenza.testing.services.ServiceProcess`): `start` it, or use
    `start_gcs_emulator`. ``endpoint`` is ``http://127.0.0.1:PORT``; `stop` (or leaving the
    ``with`` block) terminates it by PID."""

    def __init__(self, port: int | None = None, timeout: float = 30) -> None:
        super().__init__(
            [EXECUTABLE, "start", "--host", "{host}", "--port", "{port}", "--in-memory"],
            ready="{url}/",
            port=port,
            timeout=timeout,
            install=INSTALL,
        )

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT``: the emulator's JSON API (``api_endpoint``)."""
        return self.url

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
    it answers. Raises `RuntimeError` if it is not installed (naming what to install), if
    ``port`` is in use, or if it does not start (with its output).
    """
    return GcsEmulator(port=port, timeout=timeout).start()


__all__ = [
    "EXECUTABLE",
    "INSTALL",
    "MISSING",
    "GcsEmulator",
    "emulator_command",
    "emulator_credentials",
    "free_port",
    "start_gcs_emulator",
]
