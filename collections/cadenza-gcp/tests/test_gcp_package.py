"""The distribution: light imports, the `cadenza` entry point, what the plugin registers."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from cadenza.testing import DistributionConformance
from cadenza.testing.distribution import imported_modules

HEAVY = ("google", "grpc", "requests", "pydantic")


class TestDistribution(DistributionConformance):
    """The entry point, the cadenza range and CADENZA_API, light imports (the kit's suite)."""

    distribution = "cadenza-gcp"
    entry_point = "gcp"
    plugin_module = "cadenza_gcp.plugin"
    heavy_modules = HEAVY
    light_modules = ("cadenza_gcp.testing", "cadenza_gcp.exceptions")


def test_using_the_blocks_does_not_import_the_sdk_until_a_client_is_built():
    statement = (
        "from cadenza_gcp import GcsBucket, GcpCredentials\n"
        "b = GcsBucket(bucket='abc', gcp_credentials=GcpCredentials(anonymous=True))\n"
        "b.to_ref()"
    )
    assert not imported_modules(statement, among=("google",))


def test_the_package_exports_its_public_names():
    import cadenza_gcp

    for name in cadenza_gcp.__all__:
        assert getattr(cadenza_gcp, name) is not None
    assert sorted(cadenza_gcp.__all__) == cadenza_gcp.__all__


def test_the_plugin_module_holds_only_hooks():
    import cadenza_gcp.plugin as plugin
    from cadenza_gcp import GcpCredentials, GcsBucket
    from cadenza_gcp.cloud_storage import cloud_storage_upload_blob_from_string
    from cadenza_gcp.tasks import gcs_upload

    assert plugin.register_block_types() == [GcpCredentials, GcsBucket]
    assert plugin.register_storage_backends() == [GcsBucket]
    tasks = plugin.register_tasks()
    assert gcs_upload in tasks and cloud_storage_upload_blob_from_string in tasks
    public = {n for n in vars(plugin) if not n.startswith("_")}
    assert public == {
        "CADENZA_API",
        "hookimpl",
        "register_block_types",
        "register_storage_backends",
        "register_tasks",
    }


def test_the_distribution_declares_its_sdk_and_test_dependencies():
    requires = metadata.requires("cadenza-gcp") or []
    assert any(r.startswith("google-cloud-storage") for r in requires)
    test_extra = [r for r in requires if "extra ==" in r and "test" in r.split(";")[1]]
    assert any(r.startswith("gcp-storage-emulator") for r in test_extra)


def test_cadenza_discovers_everything_through_the_entry_point():
    from cadenza.plugins import registry

    registry.reset()  # discover afresh, with entry points
    try:
        assert registry.block_types()["gcp-credentials"].__name__ == "GcpCredentials"
        assert registry.block_types()["gcs-bucket"].__name__ == "GcsBucket"
        assert registry.storage_types()["gcs-bucket"].__name__ == "GcsBucket"
        tasks = registry.registered("tasks")
        for name in ("gcs_upload", "gcs_download", "gcs_list_blobs", "gcs_copy", "gcs_delete"):
            assert tasks[name].plugin.name == "gcp", name
        assert "cloud_storage_copy_blob" in tasks
    finally:
        registry.reset()


def test_cadenza_tasks_ls_lists_the_tasks():
    import json
    from pathlib import Path

    cli = Path(sys.executable).parent / "cadenza"
    out = subprocess.run([str(cli), "tasks", "ls", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    listed = {row["name"]: row for row in json.loads(out.stdout)}
    for name in ("gcs_upload", "gcs_download", "gcs_list_blobs", "gcs_copy", "gcs_delete"):
        assert listed[name]["import_path"] == f"cadenza_gcp.tasks:{name}"
        assert listed[name]["plugin"] == "gcp"
    assert listed["cloud_storage_upload_blob_from_string"]["distribution"] == "cadenza-gcp"
