"""The plugin manager: built-in plugins, entry-point discovery, validation, the load report.

`get_plugin_manager()` creates the process's manager on first use — never at ``import cadenza``
— and is thread-safe. It registers the built-in plugins (`cadenza.plugins.builtin`), then every
entry point in the ``cadenza`` group of the installed distributions, unless
``CADENZA_PLUGINS_AUTOLOAD=false``; ``CADENZA_PLUGINS_ALLOW`` / ``CADENZA_PLUGINS_DENY`` (comma-
separated entry point names) choose among them.

Loading is isolated: a plugin that fails to import, declares a ``CADENZA_API`` range (a PEP 440
specifier set such as ``">=0.1,<0.2"``) that excludes this cadenza, implements a hook that does
not exist, or whose contribution hooks raise or return something invalid is skipped — with a
`CadenzaPluginWarning` naming its distribution, entry point and the reason, and a `PluginInfo` in
the load report — while every other plugin still loads.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import pluggy

from cadenza._version import __version__
from cadenza.plugins import _observers, hookspecs
from cadenza.plugins._contributions import KINDS
from cadenza.plugins.builtin import BUILTIN_PLUGINS
from cadenza.plugins.errors import CadenzaPluginWarning
from cadenza.settings import spec

PROJECT_NAME = "cadenza"
ENTRY_POINT_GROUP = "cadenza"

LOADED, FAILED, DISABLED = "loaded", "failed", "disabled"


@dataclass
class PluginInfo:
    """One plugin as loaded (or not): a row of ``cadenza plugins ls``.

    ``registered`` maps each contribution kind (``"storage_backends"``, ``"tasks"``, ...) to the
    names the plugin registered; ``error`` says why a ``"failed"`` plugin was skipped; ``note``
    why a ``"disabled"`` one was not loaded.
    """

    name: str
    distribution: str | None = None
    version: str | None = None
    entry_point: str | None = None
    hooks: tuple[str, ...] = ()
    status: str = LOADED
    error: str | None = None
    note: str | None = None
    # None until the plugin's contribution hooks are called (see PluginManager.collect_pending)
    contributions: dict[str, tuple[tuple[str, Any], ...]] | None = field(
        default_factory=dict, repr=False
    )

    @property
    def registered(self) -> dict[str, list[str]]:
        items = (self.contributions or {}).items()
        return {kind: [name for name, _ in entries] for kind, entries in items}

    def describe(self) -> str:
        """How messages name the plugin: entry point and distribution, or built-in."""
        if self.entry_point is None:
            return f"plugin {self.name!r} (distribution {self.distribution or '?'})"
        dist = self.distribution or "?"
        if self.version:
            dist = f"{dist} {self.version}"
        return f"plugin {self.name!r} (entry point '{self.entry_point}' of distribution {dist})"

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form used by ``cadenza plugins ls --json``."""
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "entry_point": self.entry_point,
            "hooks": list(self.hooks),
            "registered": self.registered,
            "status": self.status,
            "error": self.error,
            "note": self.note,
        }


class PluginManager(pluggy.PluginManager):
    """A pluggy manager for the ``"cadenza"`` project that records a `PluginInfo` per plugin.

    Add plugins with `add_plugin` (which validates them and collects their contributions), not
    with pluggy's bare `register`, or they will be missing from the registries.
    """

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)

        self.add_hookspecs(hookspecs)
        self._report: list[PluginInfo] = []
        self.registry_cache: dict[str, Any] = {}  # owned by cadenza.plugins.registry

    @property
    def report(self) -> list[PluginInfo]:
        """Every plugin added, in order, with what it registered (collected on first read)."""
        self.collect_pending()
        return self._report

    def collect_pending(self) -> None:
        """Call the contribution hooks of plugins not yet asked.

        Deferred from loading so that loading plugins at a flow run's start (for the observer
        hooks) imports only the plugin modules, not the classes they contribute (pydantic
        models, SDK wrappers). A plugin whose contributions are invalid is failed and
        unregistered here, as it would have been at load.
        """
        pending = [i for i in self._report if i.status == LOADED and i.contributions is None]
        if not pending:
            return
        with _LOCK:
            for info in pending:
                if info.contributions is not None:
                    continue
                plugin = self.get_plugin(info.name)
                try:
                    info.contributions = self._collect(plugin)
                except Exception as exc:
                    info.contributions = {}
                    if plugin is not None:
                        self.unregister(plugin)
                    self._fail(info, _reason(exc))
            self.registry_cache.clear()
            if _PM is self:
                _observers.refresh(self)

    # -- adding plugins -------------------------------------------------------------------------
    def add_plugin(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
        entry_point: str | None = None,
    ) -> PluginInfo:
        """Register `plugin` (a module or object with ``@hookimpl`` functions) as `name`.

        Never raises for a bad plugin: the returned `PluginInfo` has ``status == "failed"`` and
        the ``error``, and a `CadenzaPluginWarning` is issued.
        """
        info = PluginInfo(name, distribution, version, entry_point)
        self._add(plugin, info)
        return info

    def _add(self, plugin: object, info: PluginInfo) -> None:
        try:
            _check_api(plugin)
            self.register(plugin, info.name)
            try:
                info.hooks = self._validate(plugin)
                info.contributions = None  # collected on first use: see collect_pending
            except BaseException:
                self.unregister(plugin)
                raise
        except Exception as exc:
            self._fail(info, _reason(exc))
        self._record(info)

    def _validate(self, plugin: object) -> tuple[str, ...]:
        """The hooks `plugin` implements; ValueError naming one that is not a cadenza hook."""
        hooks = []
        for caller in self.get_hookcallers(plugin) or ():
            if caller.has_spec():
                hooks.append(caller.name)
                continue
            mine = [impl for impl in caller.get_hookimpls() if impl.plugin is plugin]
            if all(impl.optionalhook for impl in mine):
                continue
            import difflib

            specs = [n for n in vars(hookspecs) if hasattr(getattr(hookspecs, n), "cadenza_spec")]
            close = difflib.get_close_matches(caller.name, specs, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _LoadError(f"it implements {caller.name!r}, which is not a cadenza hook{hint}")
        return tuple(sorted(hooks))

    def _collect(self, plugin: object) -> dict[str, tuple[tuple[str, Any], ...]]:
        """Call `plugin`'s contribution hooks; each result checked and named."""
        contributions = {}
        for kind in KINDS:
            for impl in getattr(self.hook, kind.hook).get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                try:
                    result = impl.function()
                except Exception as exc:
                    raise _LoadError(f"{kind.hook}() raised {_reason(exc)}") from exc
                if not isinstance(result, (list, tuple)):
                    raise _LoadError(f"{kind.hook}() must return a list, got {result!r}")
                entries: dict[str, Any] = {}
                for item in result:
                    try:
                        name, value = kind.entry(item)
                    except (TypeError, ValueError) as exc:
                        raise _LoadError(f"{kind.hook}(): {exc}") from None
                    if name in entries:
                        raise _LoadError(f"{kind.hook}() returns two {kind.noun}s named {name!r}")
                    entries[name] = value
                contributions[kind.key] = tuple(entries.items())
        return contributions

    def _fail(self, info: PluginInfo, reason: str) -> None:
        info.status, info.error = FAILED, reason
        warnings.warn(
            f"Skipped cadenza {info.describe()}: {reason}", CadenzaPluginWarning, stacklevel=4
        )

    def _record(self, info: PluginInfo) -> None:
        self._report.append(info)
        self.registry_cache.clear()
        if _PM is self:
            _observers.refresh(self)

    # -- discovery --------------------------------------------------------------------------------
    def add_builtins(self) -> None:
        """Register the core's built-in plugins (`cadenza.plugins.builtin.BUILTIN_PLUGINS`)."""

        for name, cls in BUILTIN_PLUGINS:
            self.add_plugin(cls(), name, distribution="cadenza", version=__version__)

    def load_entry_points(
        self, allow: set[str] | None = None, deny: set[str] | None = None
    ) -> None:
        """Load every ``cadenza`` entry point of the installed distributions.

        `allow` (when not None) and `deny` are sets of entry point names; a plugin left out is
        reported as ``"disabled"``. Default: from ``CADENZA_PLUGINS_ALLOW`` / ``_DENY``.
        """
        from importlib.metadata import entry_points

        if allow is None:
            allow = _names_setting("CADENZA_PLUGINS_ALLOW")
        if deny is None:
            deny = _names_setting("CADENZA_PLUGINS_DENY") or set()
        seen = set()
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value)):
            dist = getattr(ep, "dist", None)
            dist_name = getattr(dist, "name", None)
            key = (dist_name, ep.name, ep.value)
            if key in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(key)
            info = PluginInfo(
                ep.name,
                dist_name,
                dist.version if dist is not None else None,
                f"{ep.name} = {ep.value}",
            )
            if ep.name in deny or (allow is not None and ep.name not in allow):
                info.status = DISABLED
                info.note = (
                    "listed in CADENZA_PLUGINS_DENY"
                    if ep.name in deny
                    else "not listed in CADENZA_PLUGINS_ALLOW"
                )
                self._record(info)
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self._fail(info, f"import failed: {_reason(exc)}")
                self._record(info)
                continue
            self._add(plugin, info)


class _LoadError(Exception):
    """Why a plugin cannot be loaded (the message is the reason shown)."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _LoadError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _check_api(plugin: object) -> None:
    """Refuse a plugin whose ``CADENZA_API`` specifier set excludes this cadenza's version."""
    api = getattr(plugin, "CADENZA_API", None)
    if api is None:
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        spec = SpecifierSet(str(api))
    except InvalidSpecifier:
        raise _LoadError(f"CADENZA_API = {api!r} is not a version specifier set") from None
    if not spec.contains(Version(__version__), prereleases=True):
        raise _LoadError(
            f"it supports cadenza {api} (CADENZA_API), but this is cadenza {__version__}"
        )


def _names_setting(name: str) -> set[str] | None:

    value = spec.get(name)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def create_plugin_manager(
    *, builtins: bool = True, entry_points: bool | None = None
) -> PluginManager:
    """A new, loaded manager (not the process's; see `get_plugin_manager`).

    `entry_points` None follows ``CADENZA_PLUGINS_AUTOLOAD``; False loads none (tests add
    plugins with `PluginManager.add_plugin`).
    """
    pm = PluginManager()
    if builtins:
        pm.add_builtins()
    if entry_points is None:
        entry_points = spec.get("CADENZA_PLUGINS_AUTOLOAD")
    if entry_points:
        pm.load_entry_points()
    return pm


# -- the process's manager ------------------------------------------------------------------------

_PM: PluginManager | None = None
_LOCK = threading.RLock()
_loading_in: int | None = None  # the thread creating the manager


def get_plugin_manager() -> PluginManager:
    """The process's plugin manager, created and loaded on first call (thread-safe)."""
    pm = _PM
    if pm is not None:
        return pm
    global _loading_in
    with _LOCK:
        if _PM is None:
            if _loading_in == threading.get_ident():
                raise RuntimeError(
                    "cadenza's plugin registry was used while plugins were loading (by a plugin "
                    "module at import?); use it inside functions instead"
                )
            _loading_in = threading.get_ident()
            try:
                created = create_plugin_manager()
            finally:
                _loading_in = None
            install(created)
        assert _PM is not None
        return _PM


def install(pm: PluginManager | None) -> None:
    """Make `pm` the process's plugin manager; None forgets it (the next use loads afresh)."""
    global _PM
    with _LOCK:
        _PM = pm
        if pm is not None:
            pm.registry_cache.clear()
        _observers.refresh(pm)


def is_loaded() -> bool:
    """Whether the process's plugin manager exists (without creating it)."""
    return _PM is not None


__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "PluginInfo",
    "PluginManager",
    "create_plugin_manager",
    "get_plugin_manager",
    "install",
    "is_loaded",
]
