"""``cadenza plugins ls`` and ``cadenza tasks ls``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cadenza import hookimpl, task
from cadenza.cli.main import cli


@task
def fetch_report(day: str) -> str:
    """Fetch the daily report.

    More detail here."""
    return day


class Reports:
    @hookimpl
    def register_tasks(self):
        return [fetch_report]


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def with_plugins(plugin_manager, plugin_module):
    plugin_manager.add_plugin(
        Reports(), "reports", distribution="cadenza-reports", version="1.2",
        entry_point="reports = cadenza_reports.plugin",
    )  # fmt: skip

    @hookimpl
    def register_stroage_backends():
        return []

    with pytest.warns(Warning):
        plugin_manager.add_plugin(
            plugin_module("typo", register_stroage_backends=register_stroage_backends), "typo"
        )
    return plugin_manager


def test_plugins_ls_json_lists_loaded_and_failed_plugins(with_plugins) -> None:
    result = _invoke("plugins", "ls", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    plugins = {p["name"]: p for p in doc["plugins"]}
    assert plugins["reports"] == {
        "name": "reports",
        "version": "1.2",
        "distribution": "cadenza-reports",
        "entry_point": "reports = cadenza_reports.plugin",
        "hooks": ["register_tasks"],
        "registered": {"tasks": ["fetch_report"]},
        "status": "loaded",
        "error": None,
        "note": None,
    }
    assert plugins["typo"]["status"] == "failed"
    assert "register_stroage_backends" in plugins["typo"]["error"]
    assert doc["conflicts"] == []


def test_plugins_ls_table_and_strict(with_plugins) -> None:
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["plugins", "ls"])
    assert result.exit_code == 0
    assert "reports" in result.stdout and "cadenza-reports" in result.stdout
    assert "failed: it implements 'register_stroage_backends'" in result.stdout
    assert _invoke("plugins", "ls", "--strict").exit_code == 1


def test_strict_passes_when_every_plugin_loads(plugin_manager) -> None:
    assert _invoke("plugins", "ls", "--strict").exit_code == 0


def test_tasks_ls_lists_prebuilt_tasks_with_their_import_path(with_plugins) -> None:
    result = _invoke("tasks", "ls", "--json")
    assert json.loads(result.stdout) == [
        {
            "name": "fetch_report",
            "plugin": "reports",
            "distribution": "cadenza-reports",
            "import_path": f"{__name__}:fetch_report",
            "description": fetch_report.description,
            "summary": "Fetch the daily report.",
        }
    ]
    table = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["tasks", "ls"]).stdout
    assert "fetch_report" in table and "Fetch the daily report." in table
    assert "More detail" not in table


def test_tasks_ls_with_no_tasks(plugin_manager) -> None:
    assert "No plugin provides tasks." in _invoke("tasks", "ls").stdout
    assert json.loads(_invoke("tasks", "ls", "--json").stdout) == []
