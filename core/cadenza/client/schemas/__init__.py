"""Prefect's client schemas at Prefect's paths: `objects` (what the client returns: `FlowRun`,
`TaskRun`, `Log`, ...), `filters` (`FlowRunFilter`, ...), `sorting` (`FlowRunSort`, ...) and
`actions` (`VariableCreate`, ...), and `schedules` (`CronSchedule`, ... of `cadenza.schedules`).

Importing this package imports nothing heavy; pydantic loads with `objects`, `filters` or
`actions`, the first time one of them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("actions", "filters", "objects", "schedules", "sorting")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # lazily: pydantic loads with the schema modules, when used
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["actions", "filters", "objects", "schedules", "sorting"]
