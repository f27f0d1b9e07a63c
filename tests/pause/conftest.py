"""Pausing flow runs for real: flows in their own processes (`Flows`), resumed from this one or
from ``cadenza runs resume-paused`` processes, on the embedded record and on real servers
(SQLite, PostgreSQL) with quick reaper rounds, and with real `cadenza worker start` processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pause_helpers import Flows

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
def on_server(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    """This process (and the processes it starts) report to `server`."""
    from cadenza.backends import reset_backend
    from cadenza.settings import spec

    monkeypatch.setenv("CADENZA_API_URL", server.url)
    monkeypatch.delenv("CADENZA_API_KEY", raising=False)
    spec.reset_cache()
    reset_backend()
    yield server
    reset_backend()


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    from cadenza.settings import spec

    monkeypatch.delenv("CADENZA_API_URL", raising=False)
    spec.reset_cache()


@pytest.fixture
def flows(tmp_path: Path) -> Iterator[Flows]:
    found = Flows(tmp_path)
    yield found
    found.close()
