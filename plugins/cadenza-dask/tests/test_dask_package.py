"""The distribution: fast, dask-free imports and the `cadenza` entry point."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in out.split()}


def test_importing_the_package_or_plugin_does_not_import_dask():
    for statement in ("import cadenza_dask", "import cadenza_dask.plugin"):
        loaded = _modules_after(statement)
        assert not loaded & {"dask", "distributed", "tornado"}, statement


def test_the_plugin_module_registers_the_runner_through_the_hook():
    import cadenza_dask.plugin as plugin
    from cadenza_dask import DaskTaskRunner

    assert plugin.register_task_runners() == [DaskTaskRunner]
    assert plugin.CADENZA_API and plugin.__doc__


def test_entry_point_in_the_cadenza_group():
    (entry,) = [ep for ep in metadata.entry_points(group="cadenza") if ep.name == "dask"]
    assert entry.value == "cadenza_dask.plugin"
    assert entry.dist is not None and entry.dist.name == "cadenza-dask"


def test_the_distribution_declares_its_dependencies():
    requires = metadata.requires("cadenza-dask") or []
    assert any(r.startswith("cadenza") and "<0.2" in r for r in requires)
    assert any(r.startswith("dask[distributed]") for r in requires)
