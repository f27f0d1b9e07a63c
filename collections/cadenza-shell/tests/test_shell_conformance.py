"""cadenza-shell passes cadenza's conformance suites for everything it registers.

Each suite is a class of tests from `cadenza.testing`; a subclass supplies one fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cadenza.testing import BlockConformance, DistributionConformance
from pydantic import SecretStr

from cadenza_shell import ShellOperation


class TestShellOperation(BlockConformance):
    """Saved and loaded by name; a secret environment value never shows in repr, JSON, logs or
    the database file."""

    @pytest.fixture
    def block(self, tmp_path: Path) -> ShellOperation:
        return ShellOperation(
            commands=["echo $GREETING", 'curl -H "Authorization: $API_TOKEN" example.com'],
            env={"GREETING": "hello", "API_TOKEN": SecretStr("a-long-api-token")},
            working_dir=tmp_path,
            timeout=600,
        )


class TestDistribution(DistributionConformance):
    """The `cadenza` entry point names the plugin module; the cadenza range required is bounded,
    includes this cadenza and is the plugin's CADENZA_API; the package and plugin module import in
    < 100 ms, without pydantic or the modules below."""

    distribution = "cadenza-shell"
    entry_point = "shell"
    plugin_module = "cadenza_shell.plugin"
    heavy_modules = (
        "cadenza_shell.operation",
        "cadenza_shell.tasks",
        "cadenza_shell._process",
        "cadenza_shell._script",
        "subprocess",
        "asyncio",
    )
