"""``cadenza collection ls``: installed collections, the core range they require, load status.

Collections are real ``.dist-info`` directories on ``sys.path`` (metadata with Requires-Dist and
a ``cadenza`` entry point), so discovery goes through `importlib.metadata` as for a wheel.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza import __version__
from cadenza.cli.main import cli
from cadenza.plugins import registry
from cadenza.plugins.collections import installed_collections
from cadenza.plugins.manager import PluginManager

GOOD = """
from cadenza import hookimpl

CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_tasks():
    return []
"""

TOO_NEW = """
CADENZA_API = ">=9.0"
"""

BROKEN = """
raise ImportError("cadenza_lsbroken needs a missing SDK")
"""


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``install(dist, entry_point, source, requires=..., version=...)``: a distribution on
    ``sys.path`` whose ``cadenza`` entry point loads a module of `source`."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def make(dist: str, entry_point: str, source: str, requires: str | None, version: str) -> None:
        module = dist.replace("-", "_") + "_plugin"
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        metadata = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
        if requires:
            metadata += f"Requires-Dist: {requires}\nRequires-Dist: pytest>=8; extra == 'test'\n"
        (info / "METADATA").write_text(metadata)
        (info / "entry_points.txt").write_text(f"[cadenza]\n{entry_point} = {module}\n")
        importlib.invalidate_caches()
        modules.append(module)

    yield make
    for module in modules:
        sys.modules.pop(module, None)


@pytest.fixture
def collections(install: Callable[..., None]) -> Iterator[PluginManager]:
    install("cadenza-lsgood", "lsgood", GOOD, "cadenza<0.2,>=0.1", "1.2.0")
    install("cadenza-lsnew", "lsnew", TOO_NEW, "cadenza>=9.0", "0.3.0")
    install("cadenza-lsbroken", "lsbroken", BROKEN, None, "0.0.1")
    install("cadenza-lsoff", "lsoff", GOOD, "cadenza", "2.0")
    pm = PluginManager()
    pm.add_builtins()
    with pytest.warns(Warning):  # the two that fail say so
        pm.load_entry_points(allow={"lsgood", "lsnew", "lsbroken"}, deny={"lsoff"})
    registry.reset(pm)
    yield pm
    registry.reset()


def _mine(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in rows if row["name"].startswith("cadenza-ls")}


def test_json_lists_each_collection_with_its_range_api_and_status(collections) -> None:
    result = CliRunner().invoke(cli, ["collection", "ls", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["cadenza"] == __version__
    rows = _mine(doc["collections"])
    assert list(rows) == ["cadenza-lsbroken", "cadenza-lsgood", "cadenza-lsnew", "cadenza-lsoff"]
    assert rows["cadenza-lsgood"] == {
        "name": "cadenza-lsgood",
        "version": "1.2.0",
        "core_range": ">=0.1,<0.2",  # lower bound first, whatever the metadata's order
        "core_compatible": True,
        "entry_points": ["lsgood = cadenza_lsgood_plugin"],
        "cadenza_api": ">=0.1,<0.2",
        "status": "ok",
        "error": None,
        "note": None,
    }
    too_new = rows["cadenza-lsnew"]
    assert too_new["core_range"] == ">=9.0" and too_new["core_compatible"] is False
    assert too_new["cadenza_api"] == ">=9.0"
    assert too_new["status"] == "error"
    assert (
        f"it supports cadenza >=9.0 (CADENZA_API), but this is cadenza {__version__}"
        in (too_new["error"])
    )
    broken = rows["cadenza-lsbroken"]
    assert broken["core_range"] is None and broken["core_compatible"] is None
    assert broken["status"] == "error" and broken["cadenza_api"] is None
    assert broken["error"] == (
        "lsbroken: import failed: ImportError: cadenza_lsbroken needs a missing SDK"
    )
    off = rows["cadenza-lsoff"]
    assert off["status"] == "disabled" and "CADENZA_PLUGINS_DENY" in off["note"]
    assert off["core_range"] == "any" and off["core_compatible"] is True


def test_table_shows_the_same(collections) -> None:
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["collection", "ls"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if "cadenza-ls" in line}
    assert "1.2.0" in lines["cadenza-lsgood"] and " ok" in lines["cadenza-lsgood"]
    assert ">=0.1,<0.2" in lines["cadenza-lsgood"]
    assert "error: lsbroken: import failed" in lines["cadenza-lsbroken"]
    assert "disabled" in lines["cadenza-lsoff"]
    for header in ("NAME", "VERSION", "REQUIRES CADENZA", "CADENZA_API", "STATUS"):
        assert header in result.stdout


def test_the_function_uses_the_report_it_is_given(install) -> None:
    install("cadenza-lsquiet", "lsquiet", GOOD, "cadenza>=0.1", "1.0")
    (row,) = [c for c in installed_collections(report=[]) if c.name == "cadenza-lsquiet"]
    assert row.status == "error" and "not seen by the plugin manager" in (row.error or "")
    assert row.core_range == ">=0.1" and row.version == "1.0"
