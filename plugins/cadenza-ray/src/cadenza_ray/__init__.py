"""Run cadenza task runs on a Ray cluster.

    from cadenza import flow, task
    from cadenza_ray import RayTaskRunner, remote_options

    @flow(task_runner=RayTaskRunner())
    def main():
        with remote_options(num_cpus=2):
            ...

Importing this package imports nothing heavy: cadenza imports `cadenza_ray.plugin` (and so this
package) every time it loads its plugins, so `RayTaskRunner` (and with it cadenza's task-runner
machinery) is imported on first use, and ray only when a runner starts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_ray.context import RemoteOptionsContext, remote_options
    from cadenza_ray.runner import RayTaskRunner

__all__ = ["RayTaskRunner", "RemoteOptionsContext", "__version__", "remote_options"]

# public name -> the module that defines it, imported on first use
_LAZY = {
    "RayTaskRunner": "cadenza_ray.runner",
    "RemoteOptionsContext": "cadenza_ray.context",
    "remote_options": "cadenza_ray.context",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-ray")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
