"""One real Dask LocalCluster (2 worker processes) for the engine tests that run on every task
runner: started on first use, stopped after each test module (tests/engine/conftest.py).

`DaskTaskRunner` is None where the cadenza-dask plugin is not installed (the core alone)."""

from __future__ import annotations

from typing import Any

try:
    from cadenza_dask import DaskTaskRunner
except ImportError:  # the core alone
    DaskTaskRunner = None

_cluster: Any = None


def address() -> str:
    global _cluster
    if _cluster is None:
        from distributed import LocalCluster

        _cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # health endpoint off 8787
        )
    return _cluster.scheduler_address


def runner() -> Any:
    return DaskTaskRunner(address=address())


def stop() -> None:
    global _cluster
    if _cluster is not None:
        _cluster.close()
        _cluster = None
