"""Prefect's import paths for the Ray runner and its options, and the runner given as a class,
on the session's Ray cluster."""

from __future__ import annotations

import os

import pytest
from cadenza import flow, task

# a Ray cluster
pytestmark = pytest.mark.integration


@task
def where(x: int) -> tuple[int, int]:
    return x * 2, os.getpid()


@task
def cpus() -> float:
    import ray

    return float(ray.get_runtime_context().get_assigned_resources()["CPU"])


# Prefect 3.9.1: with prefect-ray 0.6.0 (ray 2.46), `from prefect_ray.task_runners import
# RayTaskRunner` and `from prefect_ray.context import remote_options` are the documented imports;
# a task submitted in `with remote_options(num_cpus=2):` is granted {'CPU': 2.0} on its Ray
# worker, one submitted outside {'CPU': 1.0}.
def test_prefect_ray_paths_run_tasks_on_the_cluster(ray_address: str) -> None:
    from cadenza_ray import RayTaskRunner as same
    from cadenza_ray import remote_options as same_options
    from cadenza_ray.context import remote_options
    from cadenza_ray.task_runners import RayTaskRunner

    assert RayTaskRunner is same and remote_options is same_options

    @flow(task_runner=RayTaskRunner(address=ray_address))
    def fan_out() -> tuple[list[tuple[int, int]], float]:
        with remote_options(num_cpus=2):
            two = cpus.submit()
        return [f.result() for f in where.map([1, 2, 3])], two.result()

    results, granted = fan_out()
    assert [value for value, _ in results] == [2, 4, 6]
    assert os.getpid() not in {pid for _, pid in results}  # ran in Ray's workers
    assert granted == 2.0


# Prefect 3.9.1: a task runner given as a class (`@flow(task_runner=RayTaskRunner)`) is
# instantiated with its defaults (address None); prefect-ray 0.6.0's runner then uses the Ray
# connection the process already has (`ray.is_initialized()`), and leaves it open.
def test_the_runner_given_as_a_class_uses_the_connected_cluster(ray_address: str) -> None:
    import ray

    from cadenza_ray.task_runners import RayTaskRunner

    @flow(task_runner=RayTaskRunner)
    def fan_out() -> list[tuple[int, int]]:
        return [f.result() for f in where.map([1, 2])]

    assert isinstance(fan_out.task_runner, RayTaskRunner)
    assert fan_out.task_runner.address is None
    results = fan_out()
    assert [value for value, _ in results] == [2, 4]
    assert os.getpid() not in {pid for _, pid in results}
    assert ray.get_runtime_context().gcs_address == ray_address  # the session's, still open
