"""Run cadenza task runs on a Dask cluster.

    from cadenza import flow, task
    from cadenza_dask import DaskTaskRunner

    @flow(task_runner=DaskTaskRunner())
    def main(): ...

Importing this package does not import dask or distributed; a runner imports them when it starts.
"""

from __future__ import annotations

from cadenza_dask.runner import DaskTaskRunner

__all__ = ["DaskTaskRunner"]


def __getattr__(name: str) -> str:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-dask")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "__version__"])
