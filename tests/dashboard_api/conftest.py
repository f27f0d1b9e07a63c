"""Fixtures of the dashboard API tests: an app over a fresh record (SQLite, and PostgreSQL for
the integration runs), and writers that record runs through the real API."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what we test with
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def api(request, tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app without auth over a new record: SQLite, then PostgreSQL."""
    from cadenza.server.app import create_app

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dashboard.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    with TestClient(create_app(url, api_key="")) as client:
        yield client


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app over a new SQLite record (for the hostile-input tests)."""
    from cadenza.server.app import create_app

    with TestClient(create_app(f"sqlite:///{tmp_path / 'lite.db'}", api_key="")) as client:
        yield client
