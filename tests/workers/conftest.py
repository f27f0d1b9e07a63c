"""A real server with quick reaper and scheduler rounds, on SQLite and PostgreSQL, and helpers
to start `cadenza worker start` processes against it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from worker_helpers import Workers

from backends.server_process import ServerProcess


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


@pytest.fixture
def workers(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    found = Workers(worker_env, tmp_path)
    yield found
    found.close()
