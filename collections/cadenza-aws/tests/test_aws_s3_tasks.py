"""The prebuilt S3 tasks, each run inside a flow against the moto server and recorded."""

from __future__ import annotations

from typing import Any

import pytest
from cadenza import flow
from cadenza.exceptions import InvalidStorageKey

from cadenza_aws import (
    AwsClientParameters,
    AwsCredentials,
    S3NotFoundError,
    s3_copy,
    s3_delete,
    s3_download,
    s3_list_objects,
    s3_upload,
)
from cadenza_aws.testing import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY


def test_upload_list_copy_download_delete_in_one_flow(
    aws_credentials: AwsCredentials, bucket_name: str, s3: Any, record: Any
):
    @flow
    def s3_round_trip(bucket: str) -> dict:
        key = s3_upload(b"payload", bucket, aws_credentials, key="in/data.bin")
        random_key = s3_upload(data=b"other", bucket=bucket, aws_credentials=aws_credentials)
        copied = s3_copy(key, "out/data.bin", bucket, aws_credentials)
        listed = s3_list_objects(bucket, aws_credentials, prefix="out/")
        downloaded = s3_download(bucket, copied, aws_credentials)
        deleted = s3_delete(bucket, key, aws_credentials)
        return {
            "key": key,
            "random_key": random_key,
            "copied": copied,
            "listed": [obj["Key"] for obj in listed],
            "downloaded": downloaded,
            "deleted": deleted,
        }

    result = s3_round_trip(bucket_name)
    assert result["key"] == "in/data.bin"
    assert len(result["random_key"]) == 36  # a uuid4, as in prefect-aws
    assert result["copied"] == "out/data.bin"
    assert result["listed"] == ["out/data.bin"]
    assert result["downloaded"] == b"payload"
    assert result["deleted"] == "in/data.bin"

    remaining = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket_name)["Contents"])
    assert remaining == sorted([result["random_key"], "out/data.bin"])
    rows = record("SELECT task_name, state_type FROM task_runs ORDER BY created")
    assert rows == [
        ("s3_upload", "COMPLETED"),
        ("s3_upload", "COMPLETED"),
        ("s3_copy", "COMPLETED"),
        ("s3_list_objects", "COMPLETED"),
        ("s3_download", "COMPLETED"),
        ("s3_delete", "COMPLETED"),
    ]
    messages = [m for (m,) in record("SELECT message FROM logs")]
    assert f"Uploading 7 bytes to s3://{bucket_name}/in/data.bin" in messages


def test_copy_to_another_bucket(aws_credentials: AwsCredentials, bucket_name: str, moto_server):
    target = moto_server.create_bucket(f"{bucket_name}-copy")

    @flow
    def copy_across() -> bytes:
        s3_upload(b"x", bucket_name, aws_credentials, key="a")
        s3_copy("a", "b", bucket_name, aws_credentials, target_bucket_name=target)
        return s3_download(target, "b", aws_credentials)

    assert copy_across() == b"x"


def test_list_objects_options(aws_credentials: AwsCredentials, bucket_name: str):
    @flow
    def listing() -> tuple:
        for key in ("p/1", "p/2", "p/q/3", "r"):
            s3_upload(b"12", bucket_name, aws_credentials, key=key)
        shallow = s3_list_objects(bucket_name, aws_credentials, prefix="p/", delimiter="/")
        capped = s3_list_objects(bucket_name, aws_credentials, max_items=2, page_size=1)
        sizes = s3_list_objects(bucket_name, aws_credentials, jmespath_query="Contents[].Size")
        return [o["Key"] for o in shallow], len(capped), sizes

    assert listing() == (["p/1", "p/2"], 2, [2, 2, 2, 2])


def test_aws_client_parameters_argument_replaces_the_blocks(moto_server: Any, bucket_name: str):
    no_endpoint = AwsCredentials(
        aws_access_key_id=TEST_ACCESS_KEY_ID,
        aws_secret_access_key=TEST_SECRET_ACCESS_KEY,
        region_name="us-east-1",
    )
    params = AwsClientParameters(endpoint_url=moto_server.endpoint_url)

    @flow
    def with_params() -> bytes:
        s3_upload(b"p", bucket_name, no_endpoint, params, key="k")
        return s3_download(bucket_name, "k", no_endpoint, aws_client_parameters=params)

    assert with_params() == b"p"


def test_downloading_a_missing_object_fails_the_task_naming_bucket_and_key(
    aws_credentials: AwsCredentials, bucket_name: str, record: Any
):
    @flow
    def missing() -> bytes:
        return s3_download(bucket_name, "no/such.key", aws_credentials)

    with pytest.raises(S3NotFoundError) as info:
        missing()
    assert isinstance(info.value, FileNotFoundError)
    assert f"s3://{bucket_name}/no/such.key" in str(info.value)
    ((state, message),) = record("SELECT state_type, state_message FROM task_runs")
    assert state == "FAILED" and "no/such.key" in message


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "a/../b"])
def test_unsafe_keys_are_refused_by_the_tasks(
    aws_credentials: AwsCredentials, bucket_name: str, key: str
):
    for call in (
        lambda: s3_upload(b"x", bucket_name, aws_credentials, key=key),
        lambda: s3_download(bucket_name, key, aws_credentials),
        lambda: s3_copy(key, "ok", bucket_name, aws_credentials),
        lambda: s3_copy("ok", key, bucket_name, aws_credentials),
        lambda: s3_delete(bucket_name, key, aws_credentials),
    ):
        with pytest.raises(InvalidStorageKey):
            flow(call, name="unsafe")()


def test_invalid_bucket_name_is_refused(aws_credentials: AwsCredentials):
    with pytest.raises(ValueError, match="Invalid S3 bucket name 'UP'"):
        flow(lambda: s3_download("UP", "k", aws_credentials), name="bad-bucket")()
