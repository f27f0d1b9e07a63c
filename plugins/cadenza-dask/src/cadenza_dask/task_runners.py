"""Prefect's import path, ``prefect_dask.task_runners``: ``from cadenza_dask.task_runners import
DaskTaskRunner`` is the runner of `cadenza_dask.runner`."""

from cadenza_dask.runner import DaskTaskRunner

__all__ = ["DaskTaskRunner"]
