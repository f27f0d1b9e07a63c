"""Prefect's import path for the Dask runner, and the runner given as a class, on a real
LocalCluster."""

from __future__ import annotations

import os

import pytest
from cadenza import flow, task

# Dask clusters
pytestmark = pytest.mark.integration


@task
def where(x: int) -> tuple[int, int]:
    return x * 2, os.getpid()


# Prefect 3.9.1: with prefect-dask 0.3.7, `from prefect_dask.task_runners import
# DaskTaskRunner` is the documented import; `DaskTaskRunner(address=...)` sends the flow's
# task runs to that cluster.
def test_prefect_dask_path_runs_tasks_on_the_cluster(dask_address: str) -> None:
    from cadenza_dask import DaskTaskRunner as same
    from cadenza_dask.task_runners import DaskTaskRunner

    assert DaskTaskRunner is same

    @flow(task_runner=DaskTaskRunner(address=dask_address))
    def fan_out() -> list[tuple[int, int]]:
        return [f.result() for f in where.map([1, 2, 3])]

    results = fan_out()
    assert [value for value, _ in results] == [2, 4, 6]
    assert os.getpid() not in {pid for _, pid in results}  # ran in the cluster's workers


# Prefect 3.9.1: a task runner given as a class (`@flow(task_runner=DaskTaskRunner)`) is
# instantiated with its defaults: here a temporary LocalCluster the runner starts and stops.
def test_the_runner_given_as_a_class_starts_its_own_cluster() -> None:
    from cadenza_dask.task_runners import DaskTaskRunner

    @flow(task_runner=DaskTaskRunner)
    def fan_out() -> list[tuple[int, int]]:
        return [f.result() for f in where.map([1, 2])]

    assert isinstance(fan_out.task_runner, DaskTaskRunner)
    assert fan_out.task_runner.address is None  # it starts a cluster of its own
    results = fan_out()
    assert [value for value, _ in results] == [2, 4]
    assert os.getpid() not in {pid for _, pid in results}
