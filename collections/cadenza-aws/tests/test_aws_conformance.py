"""The conformance kit's suites, run against the real moto server.

`S3Bucket` is checked as a storage backend twice: with saved credentials in a bucket folder (a
result reference names the credentials block), and at a bucket's root with credentials from
boto3's default chain (the reference holds only the endpoint and region). Each block type is
checked by the block suite: saved and loaded by name, secrets masked and encrypted at rest.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cadenza.testing import BlockConformance, StorageBackendConformance

from cadenza_aws import AwsClientParameters, AwsCredentials, AwsSecret, S3Bucket
from cadenza_aws.testing import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY


class TestS3BucketWithSavedCredentials(StorageBackendConformance):
    @pytest.fixture
    def storage(self, moto_server: Any, bucket_name: str) -> S3Bucket:
        credentials = moto_server.credentials()
        credentials.save("conformance-moto")
        return S3Bucket(
            bucket_name=bucket_name, bucket_folder="results/conformance", credentials=credentials
        )


class TestS3BucketWithDefaultCredentialChain(StorageBackendConformance):
    @pytest.fixture
    def storage(self, moto_server: Any, bucket_name: str, monkeypatch: Any) -> S3Bucket:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
        credentials = AwsCredentials(region_name="us-east-1", endpoint_url=moto_server.endpoint_url)
        return S3Bucket(bucket_name=bucket_name, credentials=credentials)


class TestAwsCredentialsBlock(BlockConformance):
    @pytest.fixture
    def block(self) -> AwsCredentials:
        return AwsCredentials(
            aws_access_key_id="AKIAEXAMPLEKEYID0001",
            aws_secret_access_key="conformance-secret-access-key",
            aws_session_token="conformance-session-token",
            region_name="eu-west-1",
            aws_client_parameters=AwsClientParameters(
                endpoint_url="http://127.0.0.1:9000", config={"retries": {"max_attempts": 2}}
            ),
        )


class TestS3BucketBlock(BlockConformance):
    @pytest.fixture
    def block(self) -> S3Bucket:
        return S3Bucket(
            bucket_name="conformance-bucket",
            bucket_folder="nightly",
            credentials=AwsCredentials(
                aws_access_key_id="AKIAEXAMPLEKEYID0002",
                aws_secret_access_key="bucket-secret-access-key",
                endpoint_url="http://127.0.0.1:9000",
            ),
        )


class TestAwsSecretBlock(BlockConformance):
    @pytest.fixture
    def block(self) -> AwsSecret:
        return AwsSecret(
            secret_name=f"conformance/{uuid.uuid4().hex[:8]}",
            aws_credentials=AwsCredentials(
                aws_access_key_id="AKIAEXAMPLEKEYID0003",
                aws_secret_access_key="secret-block-secret-access-key",
                region_name="us-east-1",
            ),
        )
