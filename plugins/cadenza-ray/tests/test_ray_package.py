"""The distribution: fast, ray-free imports and the `cadenza` entry point."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from cadenza.testing import DistributionConformance


class TestDistribution(DistributionConformance):
    """The entry point, the cadenza range and CADENZA_API, ray-free imports (the kit's suite)."""

    distribution = "cadenza-ray"
    entry_point = "ray"
    plugin_module = "cadenza_ray.plugin"
    heavy_modules = ("ray",)


def test_the_plugin_module_registers_the_runner_through_the_hook():
    import cadenza_ray.plugin as plugin
    from cadenza_ray import RayTaskRunner

    assert plugin.register_task_runners() == [RayTaskRunner]


def test_the_distribution_declares_ray():
    requires = metadata.requires("cadenza-ray") or []
    assert any(r.startswith("ray") for r in requires)


def test_remote_options_import_without_ray_or_the_runner():
    """A flow module imports `remote_options` at its top: that must not cost ray's import."""
    code = (
        "import sys; from cadenza_ray.context import remote_options; "
        "from cadenza_ray import remote_options as same; assert same is remote_options; "
        "print(sorted(m for m in ('ray', 'cadenza_ray.runner', 'cadenza.task_runners') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_package_lists_its_lazy_names():
    import cadenza_ray

    assert {"RayTaskRunner", "RemoteOptionsContext", "remote_options", "__version__"} <= set(
        dir(cadenza_ray)
    )
    assert cadenza_ray.__version__ == metadata.version("cadenza-ray")
