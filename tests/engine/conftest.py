from __future__ import annotations

import dask_cluster
import pytest
import ray_cluster


@pytest.fixture(scope="module", autouse=True)
def _stop_dask_cluster():
    """The Dask and Ray clusters a module started (dask_cluster.py, ray_cluster.py) are stopped
    when its tests are done."""
    yield
    try:
        dask_cluster.stop()
    finally:
        ray_cluster.stop()
