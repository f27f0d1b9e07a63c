"""cadenza discovers the installed collection through its entry point — the first thing to check.

The entry point itself and the cadenza range are checked by `TestDistribution` in
test_dbt_conformance.py."""

from __future__ import annotations

import json
import subprocess
import sys

# the collection's names, each on a line of its own (they can be long)
DISTRIBUTION = "cadenza-dbt"
ENTRY_POINT = "dbt"
REGISTERED = {"block_types": ["dbt-cli-profile"]}


def test_cadenza_loads_it_with_everything_it_registers() -> None:
    from cadenza.plugins.manager import create_plugin_manager

    manager = create_plugin_manager(entry_points=True)
    (info,) = [info for info in manager.report if info.name == ENTRY_POINT]
    assert info.status == "loaded", info.error
    assert info.registered == REGISTERED


def test_cadenza_plugins_ls_lists_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "plugins", "ls", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    plugins = {plugin["name"]: plugin for plugin in json.loads(proc.stdout)["plugins"]}
    mine = plugins[ENTRY_POINT]
    assert mine["status"] == "loaded", mine["error"]
    assert mine["distribution"] == DISTRIBUTION
    assert mine["registered"] == REGISTERED
