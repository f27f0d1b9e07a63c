"""Run cadenza task runs on a Dask cluster.

    from cadenza import flow, task
    from cadenza_dask import DaskTaskRunner

    @flow(task_runner=DaskTaskRunner())
    def main(): ...

Importing this package imports nothing heavy: cadenza imports `cadenza_dask.plugin` (and so this
package) every time it loads its plugins, so `DaskTaskRunner` (and with it cadenza's task-runner
machinery) is imported on first use, and dask and distributed only when a runner starts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_dask.runner import DaskTaskRunner

__all__ = ["DaskTaskRunner", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-dask")
    if name == "DaskTaskRunner":
        value = import_module("cadenza_dask.runner").DaskTaskRunner
        globals()[name] = value  # the next access is a plain attribute read
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "DaskTaskRunner", "__version__"])
