"""cadenza-dbt passes cadenza's conformance suites for everything it registers.

Each suite is a class of tests from `cadenza.testing`; a subclass supplies one fixture.
"""

from __future__ import annotations

import pytest
from cadenza.testing import BlockConformance, DistributionConformance

from cadenza_dbt import DbtCliProfile


class TestDbtCliProfile(BlockConformance):
    """Saved and loaded by name; the secret settings never show or are stored in clear."""

    @pytest.fixture
    def block(self) -> DbtCliProfile:
        return DbtCliProfile(
            name="shop",
            target="prod",
            adapter_type="postgres",
            outputs={"host": "db.internal", "user": "dbt", "dbname": "shop", "schema": "main"},
            secret_outputs={"password": "a-long-test-password"},
        )


class TestDistribution(DistributionConformance):
    """The `cadenza` entry point names the plugin module; the cadenza range required is bounded,
    includes this cadenza and is the plugin's CADENZA_API; the package and plugin module import in
    < 100 ms, without pydantic, dbt or the modules below."""

    distribution = "cadenza-dbt"
    entry_point = "dbt"
    plugin_module = "cadenza_dbt.plugin"
    heavy_modules = (
        "cadenza_dbt.profile",
        "cadenza_dbt.commands",
        "cadenza_dbt._recorder",
        "cadenza.task_runs",
        "dbt",
        "subprocess",
    )
