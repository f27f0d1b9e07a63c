"""Fixtures for cadenza-dask's tests: an isolated cadenza record per test, one real Dask cluster.

The cluster is a real `distributed.LocalCluster` with two worker processes, started once per
session and stopped at its end. Runners in tests connect to it with ``address=`` unless the test
is about starting a cluster.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def migrated_record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cadenza record migrated to head once per session (copied for each test)."""
    from cadenza.store.database import ensure_schema

    path = tmp_path_factory.mktemp("template") / "cadenza.db"
    ensure_schema(path)
    return path


@pytest.fixture(autouse=True)
def cadenza_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_record: Path):
    import shutil

    from cadenza.backends import reset_backend
    from cadenza.settings import spec

    home = tmp_path / "cadenza-home"
    home.mkdir()
    shutil.copyfile(migrated_record, home / "cadenza.db")
    monkeypatch.setenv("CADENZA_HOME", str(home))
    monkeypatch.setenv("CADENZA_LOGGING_CONSOLE", "false")
    spec.reset_cache()
    yield home
    reset_backend()
    spec.reset_cache()


@pytest.fixture
def record(cadenza_home: Path):
    """Query the record after flushing: ``record("SELECT ...", *params) -> list of rows``."""

    def query(sql: str, *params: object) -> list[tuple]:
        from cadenza.backends import get_backend

        get_backend().flush()
        conn = sqlite3.connect(cadenza_home / "cadenza.db")
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    return query


@pytest.fixture(scope="session")
def dask_cluster() -> Any:
    """A real LocalCluster: 2 worker processes, 1 thread each, loopback only, no dashboard."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # health endpoint off port 8787
    )
    yield cluster
    cluster.close()


@pytest.fixture
def dask_address(dask_cluster: Any) -> str:
    """The session cluster's scheduler address, with both workers up (a test may kill some)."""
    import time

    deadline = time.monotonic() + 120
    while len(dask_cluster.scheduler.workers) < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("the session Dask cluster did not get its 2 workers back")
        time.sleep(0.1)
    return dask_cluster.scheduler_address
