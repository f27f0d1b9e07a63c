"""Does any installed plugin implement an observer hook? Answered without loading plugins.

The engine must call observer hooks (`on_flow_run_state`, ...) from the first flow run on, but
loading the plugin manager costs about 100 ms (most of it importing `importlib.metadata`), which
a one-task flow script cannot afford. So at a flow run's start the engine asks this module first:
it reads the ``[cadenza]`` sections of the installed distributions' ``entry_points.txt`` files
directly and imports those plugin modules (which the conformance kit keeps light), looking for
observer hook names. Only if one is found does the engine load the real manager. The manager,
through `importlib.metadata` and pluggy, remains the one that decides what is loaded.
"""

from __future__ import annotations

import importlib
import os
import sys

from cadenza.settings import spec

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterable

OBSERVER_HOOKS = ("on_flow_run_state", "on_task_run_state", "on_log")


def cadenza_entry_points() -> list[tuple[str, str]]:
    """(name, "module[:attr]") of every entry point in group ``cadenza`` on `sys.path`."""
    found = []
    for directory in sys.path or ():
        try:
            entries = list(os.scandir(directory or "."))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            found.extend(_section(text, "cadenza"))
    return found


def _section(text: str, group: str) -> list[tuple[str, str]]:
    items, current = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == group and "=" in line:
            name, _, value = line.partition("=")
            items.append((name.strip(), value.split("[")[0].strip()))
    return items


def observers_installed() -> bool:
    """Whether an enabled entry-point plugin implements an observer hook.

    A plugin module that fails to import counts as "maybe": the real manager will load and
    report it.
    """

    if not spec.get("CADENZA_PLUGINS_AUTOLOAD"):
        return False
    allow = _names(spec.get("CADENZA_PLUGINS_ALLOW"))
    deny = _names(spec.get("CADENZA_PLUGINS_DENY"))
    for name, target in cadenza_entry_points():
        if (allow is not None and name not in allow) or name in (deny or ()):
            continue
        module_name, _, attr = target.partition(":")
        try:
            obj = importlib.import_module(module_name.strip())
            for part in filter(None, attr.strip().split(".")):
                obj = getattr(obj, part)
        except Exception:
            return True
        if any(hasattr(obj, hook) for hook in OBSERVER_HOOKS):
            return True
    return False


def _names(value: str | Iterable[str] | None) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {v.strip() for v in value.split(",") if v.strip()}
    return set(value)


def load_if_observing() -> None:
    """Load the process's plugin manager now if an installed plugin observes runs, so that it
    sees the first flow run (installed as `cadenza.observers.loader`)."""
    if observers_installed():
        # lazily: pluggy and every plugin load only when one of them observes runs
        from cadenza.plugins.manager import get_plugin_manager

        get_plugin_manager()
