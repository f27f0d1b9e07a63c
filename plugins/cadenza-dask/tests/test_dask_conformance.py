"""cadenza-dask passes the core's conformance suites for what it registers."""

from __future__ import annotations

import pytest
from cadenza.testing import PluginModuleConformance, TaskRunnerConformance

from cadenza_dask import DaskTaskRunner


class TestDaskTaskRunner(TaskRunnerConformance):
    @pytest.fixture
    def task_runner(self, dask_address):
        return DaskTaskRunner(address=dask_address)


class TestPluginModule(PluginModuleConformance):
    plugin_module = "cadenza_dask.plugin"
    # the runner, and through it cadenza's task-runner machinery, only on first use
    heavy_modules = ("dask", "distributed", "cadenza_dask.runner", "cadenza.task_runners")
