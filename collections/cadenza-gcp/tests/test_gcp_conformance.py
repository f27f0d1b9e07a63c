"""cadenza-gcp passes the core's conformance suites for everything it registers, against the
real emulator."""

from __future__ import annotations

import pytest
from cadenza.testing import BlockConformance, StorageBackendConformance

from cadenza_gcp import GcpCredentials, GcsBucket


class TestGcsBucketStorage(StorageBackendConformance):
    """Keys under a bucket folder, as results are usually kept."""

    @pytest.fixture
    def storage(self, gcs_bucket):
        return gcs_bucket


class TestGcsBucketStorageAtTheBucketRoot(StorageBackendConformance):
    """Keys at the top of the bucket (no ``bucket_folder``)."""

    @pytest.fixture
    def storage(self, gcs_emulator, bucket_name):
        return gcs_emulator.bucket(bucket_name)


def _info_for_the_kit(info: dict) -> dict:
    """The key without its ``"type": "service_account"`` entry: the kit counts every leaf of a
    secret dict as a secret, and that value also occurs in the *field name*
    ``service_account_info`` of every repr, so the repr check could never pass with it."""
    return {k: v for k, v in info.items() if k != "type"}


class TestGcpCredentialsBlock(BlockConformance):
    @pytest.fixture
    def block(self, service_account_info):
        info = _info_for_the_kit(service_account_info)
        return GcpCredentials(service_account_info=info, project="acme-prod")


class TestGcsBucketBlock(BlockConformance):
    @pytest.fixture
    def block(self, service_account_info):
        return GcsBucket(
            bucket="acme-results",
            bucket_folder="nightly/",
            gcp_credentials=GcpCredentials(
                service_account_info=_info_for_the_kit(service_account_info)
            ),
        )
