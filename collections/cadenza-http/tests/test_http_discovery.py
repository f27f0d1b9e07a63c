"""cadenza discovers the installed collection through its entry point — the first thing to check.

The entry point itself and the cadenza range are checked by `TestDistribution` in
test_http_conformance.py."""

from __future__ import annotations

import json
import subprocess
import sys

from cadenza.testing.distribution import imported_modules

ENTRY_POINT = "http"
REGISTERED = {
    "block_types": ["http-credentials"],
    "tasks": ["http_request", "http_get_json", "http_paginate"],
}


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
    assert mine["distribution"] == "cadenza-http"
    assert mine["registered"] == REGISTERED


def test_every_public_name_resolves() -> None:
    import cadenza_http

    for name in cadenza_http.__all__:
        assert getattr(cadenza_http, name) is not None, name
    assert sorted(cadenza_http.__all__) == cadenza_http.__all__
    assert set(cadenza_http.__all__) <= set(dir(cadenza_http))


def test_loading_a_block_does_not_import_httpx_until_a_request_is_sent() -> None:
    loaded = imported_modules(
        "from cadenza_http import HttpCredentials\n"
        "HttpCredentials(base_url='https://a.example', token='t0k3n-value').auth_headers()",
        among=("pydantic", "httpx"),
    )
    assert loaded == {"pydantic"}
