"""What plugins registered, by name: the only plugin API the rest of the core uses.

Each function loads the process's plugin manager on first use (`cadenza.plugins.manager`) and
caches its answer. A name registered by two plugins raises `PluginConflictError` naming both.
Returned dicts are copies: changing one changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from cadenza.plugins import manager
from cadenza.plugins._contributions import BY_KEY, KINDS
from cadenza.plugins.errors import PluginConflictError
from cadenza.plugins.manager import LOADED, PluginInfo

if TYPE_CHECKING:
    from collections.abc import Callable

    from cadenza.tasks import Task


class Registration(NamedTuple):
    """One registered thing: its ``name``, the ``value`` (class, task or factory), its plugin."""

    name: str
    value: Any
    plugin: PluginInfo


def registered(kind: str) -> dict[str, Registration]:
    """Everything of `kind` (``"block_types"``, ``"storage_backends"``, ``"task_runners"``,
    ``"tasks"``, ``"serializers"``, ``"worker_types"``) by name, with the plugin that
    registered it."""
    pm = manager.get_plugin_manager()
    cache = pm.registry_cache
    found = cache.get(kind)
    if found is None:
        with manager._LOCK:
            entries, conflicts = _build(pm, kind)
            if conflicts:
                raise conflicts[0]
            found = cache[kind] = entries
    return dict(found)


def _build(
    pm: manager.PluginManager, kind: str
) -> tuple[dict[str, Registration], list[PluginConflictError]]:
    noun = BY_KEY[kind].noun
    entries: dict[str, Registration] = {}
    conflicts = []
    for info in pm.report:
        if info.status != LOADED:
            continue
        for name, value in info.contributions.get(kind, ()):
            first = entries.get(name)
            if first is not None:
                conflicts.append(
                    PluginConflictError(noun, name, first.plugin.describe(), info.describe())
                )
                continue
            entries[name] = Registration(name, value, info)
    return entries, conflicts


def values(kind: str) -> dict[str, Any]:
    """Everything of `kind` by name (`cadenza.registries.contributed` answers with this)."""
    return {name: reg.value for name, reg in registered(kind).items()}


def block_types() -> dict[str, type]:
    """Block classes by slug (``_block_type_slug``, else the lower-kebab class name)."""
    return values("block_types")


def storage_types() -> dict[str, type]:
    """Storage backend classes by slug (``slug``, else ``type``, else lower-kebab class name)."""
    return values("storage_backends")


def task_runners() -> dict[str, type]:
    """Task runner classes by slug (``slug``, else the lower-kebab class name)."""
    return values("task_runners")


def tasks() -> dict[str, Task]:
    """Prebuilt tasks by ``task.name``; ``registered("tasks")`` also says which plugin."""
    return values("tasks")


def serializers() -> dict[str, Callable[[], Any]]:
    """Serializer factories by lower-case name."""
    return values("serializers")


def worker_types() -> dict[str, type]:
    """Worker classes by their ``type`` (``"process"``, and those plugins add)."""
    return values("worker_types")


def load_report() -> list[PluginInfo]:
    """Every plugin the manager saw — loaded, failed or disabled — in load order."""
    return list(manager.get_plugin_manager().report)


def conflicts() -> list[PluginConflictError]:
    """Every duplicate name among the loaded plugins (what the registries would raise)."""
    pm = manager.get_plugin_manager()
    found = []
    for kind in KINDS:
        found.extend(_build(pm, kind.key)[1])
    return found


def reset(pm: manager.PluginManager | None = None) -> None:
    """For tests: use `pm` as the process's plugin manager, or (None) forget the current one so
    the next call discovers plugins afresh."""
    manager.install(pm)


__all__ = [
    "Registration",
    "block_types",
    "conflicts",
    "load_report",
    "registered",
    "reset",
    "serializers",
    "storage_types",
    "task_runners",
    "tasks",
    "values",
    "worker_types",
]
