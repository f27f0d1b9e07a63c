"""The plugin manager: built-ins, entry-point discovery, isolation of broken plugins, controls."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from cadenza import hookimpl
from cadenza.filesystems import LocalFileSystem
from cadenza.plugins import manager, registry
from cadenza.plugins.errors import CadenzaPluginWarning
from cadenza.plugins.manager import PluginManager, create_plugin_manager, get_plugin_manager
from cadenza.settings import spec
from cadenza.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

GOOD = """
    from cadenza import hookimpl

    CADENZA_API = ">=0.1,<1"

    class MemoryStorage:
        slug = "memory"
        def read_path(self, key): ...
        def write_path(self, key, data): ...
        def exists(self, key): ...
        def delete(self, key): ...

    @hookimpl
    def register_storage_backends():
        return [MemoryStorage]
"""


def test_built_in_plugins_register_through_the_hooks(plugin_manager: PluginManager) -> None:
    names = [info.name for info in plugin_manager.report]
    assert names[:3] == ["builtin.task_runners", "builtin.storage", "builtin.serializers"]
    assert registry.task_runners() == {
        "thread-pool-task-runner": ThreadPoolTaskRunner,
        "process-pool-task-runner": ProcessPoolTaskRunner,
    }
    assert registry.storage_types() == {"local": LocalFileSystem}
    assert set(registry.serializers()) == {"pickle", "cloudpickle", "json"}
    storage = next(i for i in plugin_manager.report if i.name == "builtin.storage")
    assert storage.distribution == "cadenza"
    assert storage.hooks == ("register_block_types", "register_storage_backends")
    assert storage.registered == {
        "block_types": ["local-file-system"],
        "storage_backends": ["local"],
    }


def test_the_secret_block_is_a_built_in_block_type(plugin_manager: PluginManager) -> None:
    blocks = next(i for i in plugin_manager.report if i.name == "builtin.blocks")
    assert blocks.error is None, blocks.error  # cadenza.blocks.system must exist
    from cadenza.blocks.system import Secret

    assert registry.block_types()["secret"] is Secret


def test_entry_point_plugins_are_discovered_with_their_distribution(installed_dist) -> None:
    installed_dist("cadenza-memory", "memory", GOOD, version="2.3")
    pm = create_plugin_manager()
    registry.reset(pm)
    (info,) = [i for i in pm.report if i.name == "memory"]
    assert info.status == "loaded" and info.error is None
    assert (info.distribution, info.version) == ("cadenza-memory", "2.3")
    assert info.entry_point == "memory = cadenza_memory_plugin"
    assert info.hooks == ("register_storage_backends",)
    assert registry.storage_types()["memory"].__module__ == "cadenza_memory_plugin"


def test_a_plugin_that_fails_to_import_is_reported_and_the_others_load(installed_dist) -> None:
    installed_dist("cadenza-memory", "memory", GOOD)
    installed_dist("cadenza-broken", "broken", "raise ImportError('boto3 is missing')")
    with pytest.warns(CadenzaPluginWarning) as caught:
        pm = create_plugin_manager()
    (message,) = [str(w.message) for w in caught if "broken" in str(w.message)]
    assert "'broken = cadenza_broken_plugin'" in message
    assert "cadenza-broken" in message and "ImportError: boto3 is missing" in message
    (broken,) = [i for i in pm.report if i.name == "broken"]
    assert broken.status == "failed"
    assert broken.error == "import failed: ImportError: boto3 is missing"
    assert [i.status for i in pm.report if i.name == "memory"] == ["loaded"]


def test_a_misspelled_hook_fails_its_plugin_naming_the_hook(plugin_manager, plugin_module) -> None:
    @hookimpl
    def register_stroage_backends():
        return []

    with pytest.warns(CadenzaPluginWarning, match="register_stroage_backends"):
        info = plugin_manager.add_plugin(
            plugin_module("typo", register_stroage_backends=register_stroage_backends), "typo"
        )
    assert info.status == "failed"
    assert "'register_stroage_backends', which is not a cadenza hook" in info.error
    assert "did you mean 'register_storage_backends'?" in info.error
    assert plugin_manager.get_plugin("typo") is None


def test_an_argument_the_spec_lacks_fails_the_plugin(plugin_manager, plugin_module) -> None:
    @hookimpl
    def on_log(message, colour):
        pass

    with pytest.warns(CadenzaPluginWarning):
        info = plugin_manager.add_plugin(plugin_module("bad_args", on_log=on_log), "bad_args")
    assert info.status == "failed" and "colour" in info.error


def test_an_incompatible_cadenza_api_skips_the_plugin(plugin_manager, plugin_module) -> None:
    @hookimpl
    def register_tasks():
        raise AssertionError("never called")

    old = plugin_module("old", CADENZA_API=">=0.0,<0.1", register_tasks=register_tasks)
    with pytest.warns(CadenzaPluginWarning, match="supports cadenza >=0.0,<0.1"):
        info = plugin_manager.add_plugin(old, "old")
    assert info.status == "failed"
    assert info.error == "it supports cadenza >=0.0,<0.1 (CADENZA_API), but this is cadenza 0.1.0"
    ok = plugin_module("ok", CADENZA_API=">=0.1,<0.2")
    assert plugin_manager.add_plugin(ok, "ok").status == "loaded"
    with pytest.warns(CadenzaPluginWarning, match="not a version specifier"):
        assert plugin_manager.add_plugin(plugin_module("junk", CADENZA_API="new"), "junk").error


def test_a_contribution_hook_that_raises_or_returns_junk_fails_its_plugin(
    plugin_manager, plugin_module
) -> None:
    @hookimpl
    def register_task_runners():
        raise RuntimeError("no cluster")

    @hookimpl
    def register_serializers():
        return "json"

    with pytest.warns(CadenzaPluginWarning):
        raising = plugin_manager.add_plugin(
            plugin_module("raising", register_task_runners=register_task_runners), "raising"
        )
        junk = plugin_manager.add_plugin(
            plugin_module("junk", register_serializers=register_serializers), "junk"
        )
        # Contributions are collected on first use (not when loading), so the failure shows here.
        plugin_manager.collect_pending()
    assert raising.error == "register_task_runners() raised RuntimeError: no cluster"
    assert junk.error == "register_serializers() must return a list, got 'json'"
    assert set(registry.serializers()) == {"pickle", "cloudpickle", "json"}


def test_wrong_kinds_of_contributions_are_load_errors(plugin_manager, plugin_module) -> None:
    @hookimpl
    def register_task_runners():
        return [dict]

    @hookimpl
    def register_block_types():
        return ["not a class"]

    with pytest.warns(CadenzaPluginWarning):
        runner = plugin_manager.add_plugin(
            plugin_module("r", register_task_runners=register_task_runners), "r"
        )
        block = plugin_manager.add_plugin(
            plugin_module("b", register_block_types=register_block_types), "b"
        )
        plugin_manager.collect_pending()
    assert "not a cadenza TaskRunner subclass" in runner.error
    assert "expected a block class" in block.error
    assert registry.block_types()["local-file-system"] is LocalFileSystem


def test_autoload_off_discovers_no_entry_points(installed_dist, monkeypatch) -> None:
    installed_dist("cadenza-memory", "memory", GOOD)
    monkeypatch.setenv("CADENZA_PLUGINS_AUTOLOAD", "false")
    spec.reset_cache()
    names = [info.name for info in get_plugin_manager().report]
    assert "memory" not in names and "builtin.storage" in names


def test_allow_and_deny_lists_choose_entry_points(installed_dist, monkeypatch) -> None:
    installed_dist("cadenza-memory", "memory", GOOD)
    installed_dist("cadenza-other", "other", "")
    monkeypatch.setenv("CADENZA_PLUGINS_ALLOW", "memory, other")
    monkeypatch.setenv("CADENZA_PLUGINS_DENY", "other")
    spec.reset_cache()
    report = {i.name: i for i in get_plugin_manager().report}
    assert report["memory"].status == "loaded"
    assert report["other"].status == "disabled"
    assert report["other"].note == "listed in CADENZA_PLUGINS_DENY"
    assert report["other"].error is None
    assert all(
        i.note == "not listed in CADENZA_PLUGINS_ALLOW"
        for i in report.values()
        if i.entry_point and i.name not in ("memory", "other")
    )


def test_the_manager_is_created_once_across_threads(monkeypatch) -> None:
    created = []
    real = manager.create_plugin_manager

    def counting() -> PluginManager:
        created.append(1)
        return real(entry_points=False)

    monkeypatch.setattr(manager, "create_plugin_manager", counting)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(get_plugin_manager())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(created) == 1 and len({id(pm) for pm in seen}) == 1


def test_import_cadenza_does_not_create_the_manager_or_import_pluggy() -> None:
    code = (
        "import sys, cadenza\n"
        "from cadenza import flow, task\n"
        "assert 'pluggy' not in sys.modules, 'pluggy imported'\n"
        "import cadenza.backends.recording\n"
        "from cadenza.plugins import manager\n"
        "assert not manager.is_loaded()\n"
        "from cadenza import hookimpl\n"
        "assert hookimpl.project_name == 'cadenza'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_the_dask_plugin_registers_its_task_runner(plugin_manager) -> None:
    import cadenza_dask.plugin as plugin
    info = plugin_manager.add_plugin(plugin, "dask", distribution="cadenza-dask")
    assert info.error is None
    assert info.hooks == ("register_task_runners",)
    from cadenza_dask import DaskTaskRunner

    assert registry.task_runners()["dask-task-runner"] is DaskTaskRunner


def test_the_ray_plugin_registers_its_task_runner(plugin_manager) -> None:
    import cadenza_ray.plugin as plugin

    info = plugin_manager.add_plugin(plugin, "ray", distribution="cadenza-ray")
    assert info.error is None
    assert info.hooks == ("register_task_runners",)
    from cadenza_ray import RayTaskRunner

    assert registry.task_runners()["ray-task-runner"] is RayTaskRunner
