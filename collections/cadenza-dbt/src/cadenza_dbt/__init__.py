"""dbt for cadenza: dbt build, run and test inside a flow, each dbt node recorded as its own task
run.

    from cadenza import flow
    from cadenza_dbt import DbtCliProfile, dbt_build, dbt_run, dbt_test

Importing this package imports nothing heavy: cadenza imports `cadenza_dbt.plugin` (and so this
package) every time it loads its plugins, so the names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_dbt.commands import dbt_build, dbt_run, dbt_test, invoke_dbt
    from cadenza_dbt.profile import DbtCliProfile
    from cadenza_dbt.results import DbtError, DbtResult, DbtRunError, NodeResult

# public name -> the module of this package that defines it
_LAZY = dict(
    DbtCliProfile="profile",
    DbtError="results",
    DbtResult="results",
    DbtRunError="results",
    NodeResult="results",
    dbt_build="commands",
    dbt_run="commands",
    dbt_test="commands",
    invoke_dbt="commands",
)

__all__ = [
    "DbtCliProfile",
    "DbtError",
    "DbtResult",
    "DbtRunError",
    "NodeResult",
    "__version__",
    "dbt_build",
    "dbt_run",
    "dbt_test",
    "invoke_dbt",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version(__name__.replace("_", "-"))  # cadenza_dbt is in cadenza-dbt
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next access is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])
