"""What counts as cadenza's public API, for tests/test_public_api.py and the docs suite.

A public module is one whose name, and whose packages' names, do not start with ``_``. Its public
names are its ``__all__``; a name in the top-level ``cadenza.__all__`` is public too.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"

# Alembic's scripts: loaded by Alembic from their files (their names are not even identifiers),
# never imported as modules of cadenza.
NOT_MODULES = ("cadenza.store.migrations",)


def public_module_names() -> list[str]:
    """Every public module of the core, found on disk (packages by their ``__init__``)."""
    names = []
    for path in sorted((CORE / "cadenza").rglob("*.py")):
        parts = path.relative_to(CORE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        if any(part.startswith("_") for part in parts):
            continue
        if any(name == skip or name.startswith(f"{skip}.") for skip in NOT_MODULES):
            continue
        names.append(name)
    return names


def import_module(name: str) -> ModuleType:
    return importlib.import_module(name)


def isort_key(name: str) -> tuple[int, list[Any]]:
    """The order ruff's RUF022 keeps ``__all__`` in: SCREAMING_CASE constants, then CamelCase
    classes, then everything else, each in natural order (``x2`` before ``x10``)."""
    cased = [c for c in name if c.isalpha()]
    if len(name) > 1 and cased and all(c.isupper() for c in cased):
        category = 0
    elif name[:1].isupper():
        category = 1
    else:
        category = 2
    natural = [int(chunk) if chunk.isdigit() else chunk for chunk in re.split(r"(\d+)", name)]
    return category, natural


def is_private_name(name: str) -> bool:
    """A leading underscore, except dunders such as ``__version__``."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined_in(value: Any) -> str | None:
    """The module that defines `value` — for classes and functions; None for other values
    (constants, instances), whose module says nothing about where the name was defined."""
    if inspect.isclass(value) or inspect.isroutine(value):
        return getattr(value, "__module__", None)
    return None


def in_private_module(module: str | None) -> bool:
    return module is not None and any(part.startswith("_") for part in module.split("."))


def canonical_path(value: Any) -> str | None:
    """``module.qualname`` of a class or function, where the reference renders it."""
    module = defined_in(value)
    qualname = getattr(value, "__qualname__", None)
    if module is None or not isinstance(qualname, str):
        return None
    return f"{module}.{qualname}"
