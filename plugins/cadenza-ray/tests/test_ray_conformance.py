"""cadenza-ray passes the core's conformance suites for what it registers."""

from __future__ import annotations

import pytest
from cadenza.testing import PluginModuleConformance, TaskRunnerConformance

from cadenza_ray import RayTaskRunner


@pytest.mark.integration  # a Ray cluster
class TestRayTaskRunner(TaskRunnerConformance):
    @pytest.fixture
    def task_runner(self, ray_address):
        return RayTaskRunner(address=ray_address)


class TestPluginModule(PluginModuleConformance):
    plugin_module = "cadenza_ray.plugin"
    # the runner, and through it cadenza's task-runner machinery, only on first use
    heavy_modules = ("ray", "cadenza_ray.runner", "cadenza.task_runners")
