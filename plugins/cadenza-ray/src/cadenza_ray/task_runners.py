"""Prefect's import path, ``prefect_ray.task_runners``: ``from cadenza_ray.task_runners import
RayTaskRunner`` is the runner of `cadenza_ray.runner`."""

from cadenza_ray.runner import RayTaskRunner

__all__ = ["RayTaskRunner"]
