"""Run cadenza task runs on a Dask cluster.

    from cadenza import flow, task
    from cadenza_dask import DaskTaskRunner

    @flow(task_runner=DaskTaskRunner())
    def main(): ...

Importing this package does not import dask or distributed; a runner imports them when it starts.
"""

from cadenza_dask.runner import DaskTaskRunner

__all__ = ["DaskTaskRunner"]
__version__ = "0.1.0"
