"""Helpers for plugin tests: a fresh process plugin manager, plugin modules, fake distributions.

Most tests register plugin objects directly on a manager (`plugin_manager`) so they stay fast
and in-process; `installed_dist` writes a real ``.dist-info`` (metadata + entry point) onto
``sys.path``, so discovery goes through `importlib.metadata` exactly as for an installed wheel.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cadenza.plugins import registry
from cadenza.plugins.manager import PluginManager, create_plugin_manager


@pytest.fixture(autouse=True)
def _forget_plugins() -> Iterator[None]:
    """No test sees another's plugin manager."""
    registry.reset()
    yield
    registry.reset()


@pytest.fixture
def plugin_manager() -> PluginManager:
    """A loaded manager with the built-ins and no entry points, installed for this process."""
    pm = create_plugin_manager(entry_points=False)
    registry.reset(pm)
    return pm


def _plugin_module(name: str, **attributes: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for attr, value in attributes.items():
        setattr(module, attr, value)
    return module


@pytest.fixture
def plugin_module() -> Callable[..., types.ModuleType]:
    """``plugin_module(name, **attributes)``: a module object holding `attributes` (hook
    functions, ``CADENZA_API``, ...), as an entry point would load it."""
    return _plugin_module


@pytest.fixture
def installed_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """``installed_dist(dist, entry_point, source, version="1.0")``: make a distribution named
    `dist` importable, with a module of `source` behind the ``cadenza`` entry point
    `entry_point`. Returns the module's name."""
    site = tmp_path / "site-packages"
    site.mkdir(exist_ok=True)
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(dist: str, entry_point: str, source: str, version: str = "1.0") -> str:
        module = f"{dist.replace('-', '_')}_plugin"
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[cadenza]\n{entry_point} = {module}\n")
        importlib.invalidate_caches()
        modules.append(module)
        return module

    yield install
    for module in modules:
        sys.modules.pop(module, None)
