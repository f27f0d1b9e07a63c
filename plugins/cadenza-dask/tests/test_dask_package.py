"""The distribution: fast, dask-free imports and the `cadenza` entry point."""

from __future__ import annotations

from importlib import metadata

from cadenza.testing import DistributionConformance


class TestDistribution(DistributionConformance):
    """The entry point, the cadenza range and CADENZA_API, dask-free imports (the kit's suite)."""

    distribution = "cadenza-dask"
    entry_point = "dask"
    plugin_module = "cadenza_dask.plugin"
    heavy_modules = ("dask", "distributed", "tornado")


def test_the_plugin_module_registers_the_runner_through_the_hook():
    import cadenza_dask.plugin as plugin
    from cadenza_dask import DaskTaskRunner

    assert plugin.register_task_runners() == [DaskTaskRunner]


def test_the_distribution_declares_dask():
    requires = metadata.requires("cadenza-dask") or []
    assert any(r.startswith("dask[distributed]") for r in requires)
