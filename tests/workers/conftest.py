"""A real server with quick reaper and scheduler rounds, on SQLite and PostgreSQL, and helpers
to start `cadenza worker start` processes against it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.server_process import ServerProcess, kill_process, stop_process

QUICK = {"CADENZA_SERVER_REAPER_INTERVAL": "0.2", "CADENZA_SERVER_SCHEDULER_INTERVAL": "0.5"}


@pytest.fixture(scope="session")
def quick_sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("workers-sqlite")
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home, env=QUICK).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def quick_postgresql_server(
    postgres_cluster: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    url = postgres_cluster.create_database()
    server = ServerProcess(url, tmp_path_factory.mktemp("workers-pg"), env=QUICK).start()
    yield server
    server.stop()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.integration),
        pytest.param("postgresql", marks=pytest.mark.integration),
    ]
)
def server(request: pytest.FixtureRequest) -> ServerProcess:
    return request.getfixturevalue(f"quick_{request.param}_server")


@pytest.fixture
def worker_env(server: ServerProcess, cadenza_home: Path) -> dict[str, str]:
    """The environment of a worker (and so of its children): the server, 1 s heartbeats."""
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_API_URL": server.url,
           "CADENZA_HEARTBEAT_INTERVAL": "1", "CADENZA_WORKER_POLL_INTERVAL": "0.5"}  # fmt: skip
    env.pop("CADENZA_API_KEY", None)
    return env


@pytest.fixture
def client(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from cadenza.client.http import ApiClient
    from cadenza.settings import spec

    monkeypatch.setenv("CADENZA_API_URL", server.url)
    spec.reset_cache()
    api = ApiClient(server.url)
    yield api
    api.close()


@pytest.fixture
def pool(client: Any) -> str:
    name = f"pool-{uuid.uuid4().hex[:8]}"
    client.create_work_pool(name, type="process")
    return name


class Workers:
    """`cadenza worker start` processes, stopped by PID at the end of the test."""

    def __init__(self, env: dict[str, str], directory: Path) -> None:
        self.env, self.directory = env, directory
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, pool: str, *args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        out = open(self.directory / f"worker-{n}.log", "wb")  # noqa: SIM115 - the child keeps it
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "cadenza.cli.main", "worker", "start", "--pool", pool,
                 "--name", f"w{n}-{uuid.uuid4().hex[:6]}", *args],
                env=self.env, cwd=cwd or self.directory, stdout=out, stderr=subprocess.STDOUT,
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


@pytest.fixture
def workers(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    found = Workers(worker_env, tmp_path)
    yield found
    found.close()


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
