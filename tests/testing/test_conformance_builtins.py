"""The core's built-ins pass the same conformance suites collections run."""

from __future__ import annotations

from typing import ClassVar

import pytest

from cadenza.filesystems import LocalFileSystem
from cadenza.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
from cadenza.testing import (
    BlockConformance,
    PluginModuleConformance,
    StorageBackendConformance,
    TaskRunnerConformance,
)


class TestLocalFileSystem(StorageBackendConformance):
    @pytest.fixture
    def storage(self, tmp_path):
        return LocalFileSystem(basepath=tmp_path / "storage")


class TestThreadPoolTaskRunner(TaskRunnerConformance):
    @pytest.fixture
    def task_runner(self):
        return ThreadPoolTaskRunner(max_workers=2)


@pytest.mark.integration  # worker processes
class TestProcessPoolTaskRunner(TaskRunnerConformance):
    @pytest.fixture
    def task_runner(self):
        return ProcessPoolTaskRunner(max_workers=2)


class TestDaskPluginModule(PluginModuleConformance):
    plugin_module = "cadenza_dask.plugin"
    heavy_modules = ("distributed",)


def test_the_conformance_kit_is_a_registered_pytest_plugin(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("cadenza")


class _BrokenStorage(LocalFileSystem):
    def exists(self, key):  # forgets to validate the key
        return False


def test_the_storage_suite_can_fail(tmp_path):
    """A backend that skips key validation in `exists` fails the unsafe-key check."""
    suite = StorageBackendConformance()
    storage = _BrokenStorage(basepath=tmp_path)
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        suite.test_unsafe_keys_are_refused_by_every_method(storage, "../../etc/passwd")


class TestSecretBlock(BlockConformance):
    @pytest.fixture
    def block(self):
        from cadenza.blocks.system import Secret

        return Secret(value="s3cr3t-conformance-value")


class TestLocalFileSystemBlock(BlockConformance):
    @pytest.fixture
    def block(self, tmp_path):
        return LocalFileSystem(basepath=tmp_path / "results")


def test_plugin_manager_fixture_registers_chosen_plugins(cadenza_plugin_manager):
    import types

    from cadenza import hookimpl
    from cadenza.plugins import registry

    class Memory(LocalFileSystem):
        slug: ClassVar[str] = "memory-conformance"

    plugin = types.ModuleType("memory_plugin")
    plugin.register_storage_backends = hookimpl(lambda: [Memory])
    cadenza_plugin_manager.add_plugin(plugin, "memory")
    assert registry.storage_types()["memory-conformance"] is Memory
