"""`S3Bucket`: prefect-aws's object methods, the folder boundary, and clear errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from cadenza.exceptions import InvalidStorageKey
from pydantic import ValidationError

from cadenza_aws import AwsCredentials, S3Bucket, S3NotFoundError


@pytest.fixture
def bucket(aws_credentials: AwsCredentials, bucket_name: str) -> S3Bucket:
    return S3Bucket(bucket_name=bucket_name, bucket_folder="base", credentials=aws_credentials)


def test_write_path_stores_under_the_folder_and_returns_the_s3_key(bucket: S3Bucket, s3: Any):
    assert bucket.write_path("a/b.txt", b"hello") == "base/a/b.txt"
    body = s3.get_object(Bucket=bucket.bucket_name, Key="base/a/b.txt")["Body"].read()
    assert body == b"hello"
    assert bucket.read_path("a/b.txt") == b"hello"


def test_upload_from_path_and_download_object_to_path(bucket: S3Bucket, tmp_path: Path):
    source = tmp_path / "report.csv"
    source.write_bytes(b"a,b\n1,2\n")
    assert bucket.upload_from_path(source) == "base/report.csv"
    assert bucket.upload_from_path(source, "reports/2024.csv") == "base/reports/2024.csv"

    target = bucket.download_object_to_path("reports/2024.csv", tmp_path / "out" / "r.csv")
    assert target == tmp_path / "out" / "r.csv"
    assert target.read_bytes() == b"a,b\n1,2\n"
    again = bucket.download_to_path("report.csv", tmp_path / "again.csv")
    assert again.read_bytes() == source.read_bytes()


def test_download_without_a_target_uses_the_object_name(
    bucket: S3Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    bucket.write_path("deep/name.bin", b"\x00\x01")
    monkeypatch.chdir(tmp_path)
    assert bucket.download_object_to_path("deep/name.bin") == tmp_path / "name.bin"
    assert (tmp_path / "name.bin").read_bytes() == b"\x00\x01"


def test_a_multipart_upload_round_trips(bucket: S3Bucket, tmp_path: Path):
    from boto3.s3.transfer import TransferConfig

    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (6 * 1024 * 1024) + b"end")
    small_parts = TransferConfig(multipart_threshold=5 * 1024 * 1024)
    bucket.upload_from_path(source, "big.bin", Config=small_parts)
    assert bucket.read_path("big.bin") == source.read_bytes()


def test_file_objects(bucket: S3Bucket):
    assert bucket.upload_from_file_object(io.BytesIO(b"stream"), "s.bin") == "base/s.bin"
    out = bucket.download_object_to_file_object("s.bin", io.BytesIO())
    assert out.getvalue() == b"stream"


def test_list_objects_is_relative_to_the_folder(bucket: S3Bucket, s3: Any):
    s3.put_object(Bucket=bucket.bucket_name, Key="outside.txt", Body=b"-")
    for key in ("x/1", "x/2", "y/1"):
        bucket.write_path(key, b"1")
    assert [o["Key"] for o in bucket.list_objects()] == ["base/x/1", "base/x/2", "base/y/1"]
    assert [o["Key"] for o in bucket.list_objects("x")] == ["base/x/1", "base/x/2"]
    assert bucket.list_objects("x", max_items=1)[0]["Size"] == 1
    assert bucket.list_objects(jmespath_query="Contents[].Key") == [
        "base/x/1",
        "base/x/2",
        "base/y/1",
    ]
    top = bucket.list_objects(delimiter="/", jmespath_query="CommonPrefixes[].Prefix")
    assert top == ["base/x/", "base/y/"]
    assert bucket.list_keys() == ["x/1", "x/2", "y/1"]
    assert bucket.list_keys("x/") == ["x/1", "x/2"]


def test_copy_object_within_and_across_buckets(bucket: S3Bucket, moto_server: Any):
    bucket.write_path("src.txt", b"copy me")
    assert bucket.copy_object("src.txt", "dst.txt") == "base/dst.txt"
    assert bucket.read_path("dst.txt") == b"copy me"

    other = S3Bucket(
        bucket_name=moto_server.create_bucket("copy-target-bucket"),
        bucket_folder="in",
        credentials=bucket.credentials,
    )
    assert bucket.copy_object("src.txt", "c.txt", to_bucket=other) == "in/c.txt"
    assert other.read_path("c.txt") == b"copy me"
    assert bucket.copy_object("src.txt", "root.txt", to_bucket=other.bucket_name) == "root.txt"
    assert S3Bucket(bucket_name=other.bucket_name, credentials=bucket.credentials).exists(
        "root.txt"
    )


def test_missing_object_is_a_file_not_found_naming_bucket_and_key(bucket: S3Bucket, tmp_path):
    for call in (
        lambda: bucket.read_path("nope/missing.bin"),
        lambda: bucket.download_object_to_path("nope/missing.bin", tmp_path / "m"),
        lambda: bucket.copy_object("nope/missing.bin", "x"),
    ):
        with pytest.raises(FileNotFoundError) as info:
            call()
        assert isinstance(info.value, S3NotFoundError)
        assert f"s3://{bucket.bucket_name}/base/nope/missing.bin" in str(info.value)


def test_missing_bucket_is_named(aws_credentials: AwsCredentials):
    bucket = S3Bucket(bucket_name="no-such-bucket-here", credentials=aws_credentials)
    with pytest.raises(S3NotFoundError, match="bucket 'no-such-bucket-here' does not exist"):
        bucket.write_path("k", b"1")
    with pytest.raises(S3NotFoundError, match="no-such-bucket-here"):
        bucket.list_keys()
    assert bucket.exists("k") is False


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "a/../b", "", "back\\slash"])
def test_unsafe_keys_are_refused_by_every_method(bucket: S3Bucket, key: str, tmp_path: Path):
    source = tmp_path / "f"
    source.write_bytes(b"1")
    for call in (
        lambda: bucket.upload_from_path(source, key),
        lambda: bucket.upload_from_file_object(io.BytesIO(b"1"), key),
        lambda: bucket.download_object_to_path(key, tmp_path / "x"),
        lambda: bucket.download_object_to_file_object(key, io.BytesIO()),
        lambda: bucket.copy_object(key, "ok"),
        lambda: bucket.copy_object("ok", key),
    ):
        with pytest.raises(InvalidStorageKey):
            call()
    if key:  # "" is the folder itself, a valid listing
        with pytest.raises(InvalidStorageKey):
            bucket.list_objects(key)


def test_uploading_a_missing_local_file_is_a_clear_error(bucket: S3Bucket, tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="No local file"):
        bucket.upload_from_path(tmp_path / "absent.txt")


def test_write_path_needs_bytes(bucket: S3Bucket):
    with pytest.raises(TypeError, match="needs bytes, got str"):
        bucket.write_path("k", "text")  # type: ignore[arg-type]  # the wrong type on purpose


@pytest.mark.parametrize("folder", ["../up", "a/../b"])
def test_an_escaping_bucket_folder_is_refused(folder: str):
    with pytest.raises(ValidationError, match=r"'\.\.' segment"):
        S3Bucket(bucket_name="abc", bucket_folder=folder)


def test_bucket_folder_is_normalised():
    assert S3Bucket(bucket_name="abc", bucket_folder="/a//b/").bucket_folder == "a/b"


@pytest.mark.parametrize("name", ["ab", "has space", "-dash", "x" * 300, "a/b"])
def test_invalid_bucket_names_are_refused(name: str):
    with pytest.raises(ValidationError, match="Invalid S3 bucket name"):
        S3Bucket(bucket_name=name)


def test_deleting_the_block_by_name_is_distinct_from_deleting_an_object(bucket: S3Bucket):
    bucket.write_path("keep", b"1")
    bucket.save("doomed")
    S3Bucket.delete_by_name("doomed")
    assert "doomed" not in S3Bucket.list()
    assert bucket.exists("keep")
