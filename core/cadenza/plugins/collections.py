"""Installed collections: the distributions that declare a ``cadenza`` entry point.

One row per distribution — its version, the cadenza range it requires (from its metadata), the
``CADENZA_API`` its plugin module declares, and whether it loaded — joined from
`importlib.metadata` and the plugin manager's load report (the one ``cadenza plugins ls`` shows).
Used by ``cadenza collection ls``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from cadenza._version import __version__
from cadenza.plugins import registry
from cadenza.plugins.manager import DISABLED, ENTRY_POINT_GROUP, FAILED, PluginInfo

OK, ERROR = "ok", "error"


@dataclass
class Collection:
    """One installed distribution with ``cadenza`` entry points: a row of ``collection ls``.

    ``status`` is ``"ok"`` when every entry point loaded, ``"error"`` (``error`` says why) when
    one failed, ``"disabled"`` (``note`` says by which setting) when none was loaded on purpose.
    """

    name: str
    version: str | None
    core_range: str | None  # the specifier of its `cadenza` requirement; None: no requirement
    core_compatible: bool | None  # whether this cadenza is in core_range (None: unknown)
    entry_points: tuple[str, ...]
    cadenza_api: str | None  # the plugin module's CADENZA_API, when it could be read
    status: str
    error: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form used by ``cadenza collection ls --json``."""
        return {
            "name": self.name,
            "version": self.version,
            "core_range": self.core_range,
            "core_compatible": self.core_compatible,
            "entry_points": list(self.entry_points),
            "cadenza_api": self.cadenza_api,
            "status": self.status,
            "error": self.error,
            "note": self.note,
        }


def installed_collections(report: list[PluginInfo] | None = None) -> list[Collection]:
    """Every installed distribution with a ``cadenza`` entry point, sorted by name.

    `report` is the plugin manager's load report (default: the process's, loading it).
    """
    from importlib.metadata import distributions

    if report is None:
        report = registry.load_report()
    by_entry_point = {info.entry_point: info for info in report if info.entry_point}
    found: dict[str, Collection] = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        eps = [ep for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP]
        if not name or not eps or name in found:  # found twice on sys.path: the first wins
            continue
        infos = [by_entry_point.get(f"{ep.name} = {ep.value}") for ep in eps]
        status, error, note = _status([i for i in infos if i is not None], len(infos))
        core_range = _core_range(dist.requires or [])
        found[name] = Collection(
            name=name,
            version=dist.version,
            core_range=core_range,
            core_compatible=_compatible(core_range),
            entry_points=tuple(f"{ep.name} = {ep.value}" for ep in eps),
            cadenza_api=_cadenza_api([ep.value for ep in eps]),
            status=status,
            error=error,
            note=note,
        )
    return [found[name] for name in sorted(found, key=str.lower)]


def _status(infos: list[PluginInfo], expected: int) -> tuple[str, str | None, str | None]:
    failed = [i for i in infos if i.status == FAILED]
    if failed:
        return ERROR, "; ".join(f"{i.name}: {i.error}" for i in failed), None
    disabled = [i for i in infos if i.status == DISABLED]
    if disabled and len(disabled) == len(infos):
        return DISABLED, None, "; ".join(f"{i.name}: {i.note}" for i in disabled)
    if len(infos) < expected:
        return ERROR, "not seen by the plugin manager (is CADENZA_PLUGINS_AUTOLOAD off?)", None
    return OK, None, None


def _core_range(requires: list[str]) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement

    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.name.lower() == "cadenza" and (req.marker is None or req.marker.evaluate()):
            # lower bounds first, as people write them (packaging sorts them as text)
            specs = sorted(
                req.specifier, key=lambda s: (_OPERATOR_ORDER.get(s.operator, 9), s.version)
            )
            return ",".join(str(s) for s in specs) or "any"
    return None


_OPERATOR_ORDER = {">=": 0, ">": 0, "~=": 1, "==": 1, "===": 1, "!=": 2, "<=": 3, "<": 3}


def _compatible(core_range: str | None) -> bool | None:
    if core_range is None:
        return None
    if core_range == "any":
        return True
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    return SpecifierSet(core_range).contains(Version(__version__), prereleases=True)


def _cadenza_api(targets: list[str]) -> str | None:
    """``CADENZA_API`` of the first entry-point module already imported (by the plugin manager,
    which imports every enabled one, even those it then refuses)."""
    for target in targets:
        module = sys.modules.get(target.partition(":")[0].strip())
        api = getattr(module, "CADENZA_API", None)
        if api is not None:
            return str(api)
    return None


__all__ = ["Collection", "installed_collections"]
