"""Fixtures for cadenza-dask's tests: an isolated cadenza record per test (from the
`cadenza.testing` pytest plugin), one real Dask cluster.

The cluster is a real `distributed.LocalCluster` with two worker processes, started once per
session and stopped at its end. Runners in tests connect to it with ``address=`` unless the test
is about starting a cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """Every test gets its own cadenza record (the `cadenza.testing` kit's fixture)."""
    return cadenza_isolated_home


@pytest.fixture
def record(cadenza_record: Any) -> Any:
    """Query the record after a flush: ``record("SELECT ...", *params)``."""
    return cadenza_record


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
