"""The distribution: light imports, the `cadenza` entry point, what the plugin registers."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from cadenza.testing import DistributionConformance
from cadenza.testing.distribution import imported_modules

HEAVY = ("boto3", "botocore", "s3transfer", "moto", "pydantic")


class TestDistribution(DistributionConformance):
    """The entry point, the cadenza range and CADENZA_API, light imports (the kit's suite)."""

    distribution = "cadenza-aws"
    entry_point = "aws"
    plugin_module = "cadenza_aws.plugin"
    heavy_modules = HEAVY
    light_modules = ("cadenza_aws.testing", "cadenza_aws.exceptions")


def test_using_a_block_does_not_import_boto3_until_a_client_is_needed():
    loaded = imported_modules(
        "from cadenza_aws import S3Bucket\nS3Bucket(bucket_name='abc').to_ref()",
        among=("pydantic", "boto3", "botocore"),
    )
    assert loaded == {"pydantic"}


def test_every_public_name_resolves():
    import cadenza_aws

    for name in cadenza_aws.__all__:
        assert getattr(cadenza_aws, name) is not None, name
    assert sorted(cadenza_aws.__all__) == cadenza_aws.__all__
    assert set(cadenza_aws.__all__) <= set(dir(cadenza_aws))


def test_prefect_aws_import_paths_work():
    from cadenza_aws.client_parameters import AwsClientParameters
    from cadenza_aws.credentials import AwsCredentials
    from cadenza_aws.s3 import S3Bucket, s3_copy, s3_download, s3_list_objects, s3_upload
    from cadenza_aws.secrets_manager import AwsSecret, read_secret

    assert {AwsClientParameters, AwsCredentials, S3Bucket, AwsSecret}
    assert {s3_copy.name, s3_download.name, s3_list_objects.name, s3_upload.name}
    assert read_secret.name == "aws_secrets_manager_get_secret"


def test_the_plugin_module_registers_blocks_storage_and_tasks_through_its_hooks():
    import cadenza_aws.plugin as plugin
    from cadenza_aws import AwsCredentials, AwsSecret, S3Bucket

    assert plugin.register_block_types() == [AwsCredentials, S3Bucket, AwsSecret]
    assert plugin.register_storage_backends() == [S3Bucket]
    names = [t.name for t in plugin.register_tasks()]
    assert names == [
        "s3_upload",
        "s3_download",
        "s3_list_objects",
        "s3_copy",
        "s3_delete",
        "aws_secrets_manager_get_secret",
    ]


def test_the_plugin_loads_through_its_entry_point():
    from cadenza.plugins import registry

    registry.reset()
    try:
        (info,) = [p for p in registry.load_report() if p.name == "aws"]
        assert info.status == "loaded", info.error
        assert registry.storage_types()["s3-bucket"].__name__ == "S3Bucket"
        assert {"aws-credentials", "s3-bucket", "aws-secret"} <= set(registry.block_types())
        assert "s3_upload" in registry.tasks()
    finally:
        registry.reset()


def test_cadenza_tasks_ls_lists_the_prebuilt_tasks():
    import json
    from pathlib import Path

    cli = Path(sys.executable).with_name("cadenza")
    out = subprocess.run([str(cli), "tasks", "ls", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    listed = {t["name"]: t for t in json.loads(out.stdout) if t["plugin"] == "aws"}
    assert set(listed) == {
        "s3_upload",
        "s3_download",
        "s3_list_objects",
        "s3_copy",
        "s3_delete",
        "aws_secrets_manager_get_secret",
    }
    assert listed["s3_upload"]["import_path"] == "cadenza_aws.s3_tasks:s3_upload"
    assert listed["s3_upload"]["distribution"] == "cadenza-aws"


def test_the_distribution_declares_its_sdk_and_test_dependencies():
    requires = metadata.requires("cadenza-aws") or []
    assert any(r.startswith("boto3") for r in requires)
    test_extra = [r for r in requires if "extra ==" in r and "test" in r.split("extra ==")[1]]
    assert any(r.startswith("moto[server]") for r in test_extra)
