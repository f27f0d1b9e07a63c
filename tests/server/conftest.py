"""Fixtures for the server tests: an app over the test's own record, and request builders."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_helpers import API_KEY, TestClient


@pytest.fixture
def db_path(cadenza_home: Path) -> Path:
    return cadenza_home / "cadenza.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
def client(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client of an app without auth."""
    from cadenza.server.app import create_app

    monkeypatch.delenv("CADENZA_SERVER_API_KEY", raising=False)
    with TestClient(create_app(db_url)) as test_client:
        yield test_client


@pytest.fixture
def authed(db_url: str) -> Iterator[TestClient]:
    """A client of an app that requires `API_KEY` (sent by default)."""
    from cadenza.server.app import create_app

    app = create_app(db_url, api_key=API_KEY)
    with TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"}) as test_client:
        yield test_client


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def any_client(request, db_url: str) -> Iterator[TestClient]:
    """A client of an app without auth, over SQLite and over PostgreSQL."""
    from cadenza.server.app import create_app

    url = db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with TestClient(create_app(url, api_key="")) as test_client:
        yield test_client

