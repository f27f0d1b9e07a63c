"""`AwsCredentials` and `AwsClientParameters`: sessions and clients that reach the service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cadenza_aws import AwsClientParameters, AwsCredentials
from cadenza_aws.testing import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY


def test_get_s3_client_reaches_the_endpoint(aws_credentials: AwsCredentials, bucket_name: str):
    client = aws_credentials.get_s3_client()
    assert client.meta.endpoint_url == aws_credentials.endpoint_url
    client.put_object(Bucket=bucket_name, Key="k", Body=b"v")
    assert client.get_object(Bucket=bucket_name, Key="k")["Body"].read() == b"v"


def test_endpoint_url_in_client_parameters_as_in_prefect_aws(moto_server: Any, bucket_name: str):
    credentials = AwsCredentials(
        aws_access_key_id=TEST_ACCESS_KEY_ID,
        aws_secret_access_key=TEST_SECRET_ACCESS_KEY,
        region_name="us-east-1",
        aws_client_parameters=AwsClientParameters(endpoint_url=moto_server.endpoint_url),
    )
    assert credentials.effective_endpoint_url == moto_server.endpoint_url
    buckets = credentials.get_client("s3").list_buckets()["Buckets"]
    assert bucket_name in [b["Name"] for b in buckets]


def test_two_different_endpoints_are_refused():
    with pytest.raises(ValidationError, match="differ"):
        AwsCredentials(
            endpoint_url="http://127.0.0.1:1",
            aws_client_parameters=AwsClientParameters(endpoint_url="http://127.0.0.1:2"),
        )


def test_get_boto3_session_carries_the_settings():
    credentials = AwsCredentials(
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="session-secret-value",
        aws_session_token="session-token-value",
        region_name="eu-central-1",
    )
    session = credentials.get_boto3_session()
    frozen = session.get_credentials().get_frozen_credentials()
    assert session.region_name == "eu-central-1"
    assert frozen.access_key == "AKIAEXAMPLE"
    assert frozen.secret_key == "session-secret-value"
    assert frozen.token == "session-token-value"


def test_profile_from_the_shared_credentials_file(moto_server: Any, bucket_name: str):
    import os

    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[moto]\naws_access_key_id = {TEST_ACCESS_KEY_ID}\n"
        f"aws_secret_access_key = {TEST_SECRET_ACCESS_KEY}\n"
    )
    credentials = AwsCredentials(
        profile_name="moto", region_name="us-east-1", endpoint_url=moto_server.endpoint_url
    )
    assert credentials.get_boto3_session().profile_name == "moto"
    client = credentials.get_s3_client()
    client.put_object(Bucket=bucket_name, Key="from-profile", Body=b"1")
    assert client.head_object(Bucket=bucket_name, Key="from-profile")["ContentLength"] == 1


def test_clients_are_cached_per_service_and_settings(aws_credentials: AwsCredentials):
    assert aws_credentials.get_s3_client() is aws_credentials.get_client("s3")
    assert aws_credentials.get_s3_client() is aws_credentials.model_copy().get_s3_client()
    assert aws_credentials.get_s3_client() is not aws_credentials.get_secrets_manager_client()
    other_region = aws_credentials.model_copy(update={"region_name": "eu-west-1"})
    assert other_region.get_s3_client() is not aws_credentials.get_s3_client()


def test_get_client_accepts_an_enum_and_refuses_nonsense(aws_credentials: AwsCredentials):
    import enum

    class ClientType(enum.Enum):
        S3 = "s3"

    assert aws_credentials.get_client(ClientType.S3) is aws_credentials.get_s3_client()
    with pytest.raises(ValueError, match="service name"):
        aws_credentials.get_client("")


def test_client_parameters_reach_botocore(moto_server: Any):
    params = AwsClientParameters(
        endpoint_url=moto_server.endpoint_url,
        config={"retries": {"max_attempts": 1}, "signature_version": "s3v4"},
        use_ssl=False,
        verify=False,
    )
    override = params.get_params_override()
    assert override["use_ssl"] is False and override["verify"] is False
    credentials = AwsCredentials(
        aws_access_key_id=TEST_ACCESS_KEY_ID,
        aws_secret_access_key=TEST_SECRET_ACCESS_KEY,
        region_name="us-east-1",
        aws_client_parameters=params,
    )
    client = credentials.get_s3_client()
    assert client.meta.config.retries["total_max_attempts"] == 2  # 1 retry + the first call
    assert client.meta.config.signature_version == "s3v4"
    client.list_buckets()


def test_public_settings_hold_no_secret():
    credentials = AwsCredentials(
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="public-settings-secret",
        aws_session_token="public-settings-token",
        profile_name="p",
        region_name="r",
        endpoint_url="http://127.0.0.1:9",
    )
    settings = credentials.public_settings()
    assert settings == {
        "profile_name": "p",
        "region_name": "r",
        "endpoint_url": "http://127.0.0.1:9",
    }
    assert credentials.has_secrets() and not AwsCredentials().has_secrets()
