"""The distribution: light imports, the `cadenza` entry point, what the plugin registers."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pytest
from cadenza.testing import DistributionConformance
from cadenza.testing.distribution import imported_modules

SDK = ("sqlalchemy", "psycopg", "pydantic")


class TestSqlDistribution(DistributionConformance):
    """The entry point, the cadenza range and CADENZA_API, light imports (the kit's suite)."""

    distribution = "cadenza-sql"
    entry_point = "sql"
    plugin_module = "cadenza_sql.plugin"
    heavy_modules = SDK
    light_modules = ("cadenza_sql.testing",)


def test_importing_a_task_does_not_import_the_sdk():
    assert not imported_modules("from cadenza_sql import sql_fetch_all", among=SDK)


def test_creating_a_connector_does_not_connect_or_import_sqlalchemy_engines_early():
    statement = (
        "from cadenza_sql import SqlAlchemyConnector, ConnectionComponents\n"
        "SqlAlchemyConnector(connection_info=ConnectionComponents(driver='sqlite', database='x'))"
    )
    assert not imported_modules(statement, among=("sqlalchemy",))


def test_every_public_name_resolves():
    import cadenza_sql

    for name in cadenza_sql.__all__:
        assert getattr(cadenza_sql, name) is not None, name
    with pytest.raises(AttributeError, match="no_such_thing"):
        cadenza_sql.no_such_thing  # noqa: B018


def test_the_distribution_declares_its_sdk_and_test_dependencies():
    requires = metadata.requires("cadenza-sql") or []
    assert any(r.startswith("sqlalchemy") and ">=2" in r for r in requires)
    test_extra = [r for r in requires if "extra == 'test'" in r.replace('"', "'")]
    assert any(r.startswith("psycopg[binary]") for r in test_extra)
    assert any(r.startswith("pytest-timeout") for r in test_extra)


def test_the_plugin_registers_blocks_and_tasks_through_its_hooks():
    import cadenza_sql
    import cadenza_sql.plugin as plugin

    assert plugin.register_block_types() == [
        cadenza_sql.DatabaseCredentials,
        cadenza_sql.SqlAlchemyConnector,
    ]
    names = [t.name for t in plugin.register_tasks()]
    assert names == [
        "sql_execute", "sql_execute_many", "sql_fetch_one", "sql_fetch_many", "sql_fetch_all",
        "sql_to_storage",
    ]  # fmt: skip


def test_the_plugin_loads_through_its_entry_point():
    from cadenza.blocks.registry import block_types
    from cadenza.plugins import registry

    registry.reset()
    try:
        (report,) = [p for p in registry.load_report() if p.name == "sql"]
        assert report.status == "loaded", report.error
        assert block_types()["sqlalchemy-connector"].__name__ == "SqlAlchemyConnector"
        assert block_types()["database-credentials"].__name__ == "DatabaseCredentials"
    finally:
        registry.reset()


def test_cadenza_tasks_ls_lists_the_prebuilt_tasks():
    out = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "tasks", "ls", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    listed = {t["name"]: t for t in json.loads(out) if t["plugin"] == "sql"}
    assert set(listed) == {
        "sql_execute", "sql_execute_many", "sql_fetch_one", "sql_fetch_many", "sql_fetch_all",
        "sql_to_storage",
    }  # fmt: skip
    assert listed["sql_to_storage"]["import_path"] == "cadenza_sql.tasks:sql_to_storage"
