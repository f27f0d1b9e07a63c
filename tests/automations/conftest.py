"""Fixtures of the automation tests: real servers whose automation service runs every 0.2 s
(on SQLite and on PostgreSQL), the test's flows reporting to one of them, and a real local HTTP
receiver (pytest-httpserver) for webhooks and notifications."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from automation_helpers import start_server, use_server

from backends.server_process import ServerProcess


@pytest.fixture(scope="session")
def automation_sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("automations-sqlite")
    server = start_server(f"sqlite:///{home / 'server.db'}", home)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def automation_pg_url(postgres_cluster: Any) -> str:
    return postgres_cluster.create_database()


@pytest.fixture(scope="session")
def automation_postgresql_server(
    automation_pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    server = start_server(automation_pg_url, tmp_path_factory.mktemp("automations-pg"))
    yield server
    server.stop()


@pytest.fixture(
    params=[pytest.param(kind, marks=pytest.mark.integration) for kind in ("sqlite", "postgresql")]
)
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A server with a fast automation service; this process's flows, blocks and clients use it
    (CADENZA_API_URL)."""
    name = f"automation_{request.param}_server"
    process = request.getfixturevalue(name)
    with use_server(process, monkeypatch):
        yield process


@pytest.fixture
def client(server: ServerProcess) -> Iterator[Any]:
    from cadenza.client.http import ApiClient

    with ApiClient(server.url) as api:
        yield api


@pytest.fixture
def cleanup(client: Any) -> Iterator[list[str]]:
    """Ids of automations to delete after the test (the servers are shared)."""
    ids: list[str] = []
    yield ids
    for automation_id in ids:
        try:
            client.delete_automation(automation_id)
        except Exception:
            pass
