"""The distribution: light imports, the `cadenza` entry point, what the plugin registers."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from cadenza.testing import DistributionConformance
from cadenza.testing.distribution import imported_modules

HEAVY = ("azure", "pydantic", "requests")
TASKS = ("blob_storage_upload", "blob_storage_download", "blob_storage_list")


class TestDistribution(DistributionConformance):
    """The entry point, the cadenza range and CADENZA_API, light imports (the kit's suite)."""

    distribution = "cadenza-azure"
    entry_point = "azure"
    plugin_module = "cadenza_azure.plugin"
    heavy_modules = HEAVY
    light_modules = ("cadenza_azure.testing", "cadenza_azure.exceptions")


def test_using_the_blocks_does_not_import_the_sdk_until_a_client_is_built():
    statement = (
        "from cadenza_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials\n"
        "c = AzureBlobStorageContainer(container_name='abc', credentials="
        "AzureBlobStorageCredentials(account_url='https://a.blob.core.windows.net'))\n"
        "c.to_ref()"
    )
    assert not imported_modules(statement, among=("azure",))


def test_the_package_exports_its_public_names():
    import cadenza_azure

    for name in cadenza_azure.__all__:
        assert getattr(cadenza_azure, name) is not None
    assert sorted(cadenza_azure.__all__) == cadenza_azure.__all__


def test_the_plugin_module_holds_only_hooks():
    import cadenza_azure.plugin as plugin
    from cadenza_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials
    from cadenza_azure.tasks import TASKS as REGISTERED

    assert plugin.register_block_types() == [AzureBlobStorageCredentials, AzureBlobStorageContainer]
    assert plugin.register_storage_backends() == [AzureBlobStorageContainer]
    assert plugin.register_tasks() == list(REGISTERED)
    public = {n for n in vars(plugin) if not n.startswith("_")}
    assert public == {
        "CADENZA_API",
        "hookimpl",
        "register_block_types",
        "register_storage_backends",
        "register_tasks",
    }


def test_the_distribution_declares_its_sdk():
    requires = metadata.requires("cadenza-azure") or []
    assert any(r.startswith("azure-storage-blob") for r in requires)


def test_cadenza_discovers_everything_through_the_entry_point():
    from cadenza.plugins import registry

    registry.reset()  # discover afresh, with entry points
    try:
        blocks = registry.block_types()
        assert blocks["azure-blob-storage-credentials"].__name__ == "AzureBlobStorageCredentials"
        assert blocks["azure-blob-storage-container"].__name__ == "AzureBlobStorageContainer"
        storage = registry.storage_types()["azure-blob-storage-container"]
        assert storage.__name__ == "AzureBlobStorageContainer"
        tasks = registry.registered("tasks")
        for name in TASKS:
            assert tasks[name].plugin.name == "azure", name
    finally:
        registry.reset()


def test_cadenza_plugins_ls_and_tasks_ls_list_it():
    cli = Path(sys.executable).parent / "cadenza"
    out = subprocess.run(
        [str(cli), "plugins", "ls", "--json"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    plugins = {p["name"]: p for p in json.loads(out.stdout)["plugins"]}
    assert plugins["azure"]["status"] == "loaded", plugins["azure"]["error"]
    assert plugins["azure"]["distribution"] == "cadenza-azure"
    out = subprocess.run(
        [str(cli), "tasks", "ls", "--json"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    listed = {row["name"]: row for row in json.loads(out.stdout)}
    for name in TASKS:
        assert listed[name]["import_path"] == f"cadenza_azure.tasks:{name}"
        assert listed[name]["plugin"] == "azure"
