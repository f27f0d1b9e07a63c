from __future__ import annotations

import dask_cluster
import pytest


@pytest.fixture(scope="module", autouse=True)
def _stop_dask_cluster():
    """The Dask cluster a module started (dask_cluster.py) is stopped when its tests are done."""
    yield
    dask_cluster.stop()
