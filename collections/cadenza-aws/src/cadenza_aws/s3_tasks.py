"""Prebuilt S3 tasks: ``s3_upload``, ``s3_download``, ``s3_list_objects``, ``s3_copy``,
``s3_delete``.

The first four have prefect-aws's names and signatures (``prefect_aws.s3``), as ordinary
synchronous cadenza tasks; ``s3_delete`` completes the set. Each takes a bucket *name* and an
`AwsCredentials` block; to work relative to a folder, use an `S3Bucket` block's methods instead.
Keys pass through `cadenza.storage.validate_key` (no ``..``, no leading ``/``). Errors are
`cadenza_aws.exceptions` errors naming the bucket and key: a missing object is an
`S3NotFoundError` (a `FileNotFoundError`), refused credentials an `AwsAuthError`.

This module imports cadenza's ``task`` only; boto3 is imported by the first call.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from cadenza import get_run_logger, task
from cadenza.storage import validate_key

from cadenza_aws._validation import check_bucket_name

if TYPE_CHECKING:
    from cadenza_aws.client_parameters import AwsClientParameters
    from cadenza_aws.credentials import AwsCredentials


def _client(
    aws_credentials: AwsCredentials, aws_client_parameters: AwsClientParameters | None
) -> Any:
    """An S3 client; ``aws_client_parameters``, when given, replace the block's own."""
    if aws_client_parameters is not None:
        endpoint = aws_client_parameters.endpoint_url or aws_credentials.effective_endpoint_url
        aws_credentials = aws_credentials.model_copy(
            update={"aws_client_parameters": aws_client_parameters, "endpoint_url": endpoint}
        )
    return aws_credentials.get_s3_client()


def _fail(exc: Exception, operation: str, bucket: str, key: str, creds: Any) -> Exception:
    from cadenza.blocks.core import secret_values

    from cadenza_aws._errors import translate

    return translate(
        exc,
        operation=operation,
        target=f"s3://{bucket}/{key}",
        secrets=secret_values(creds),
        bucket=bucket,
    )


@task
def s3_upload(
    data: bytes,
    bucket: str,
    aws_credentials: AwsCredentials,
    aws_client_parameters: AwsClientParameters | None = None,
    key: str | None = None,
) -> str:
    """Upload bytes to an S3 bucket.

    Args:
        data: The bytes to upload.
        bucket: The name of the bucket.
        aws_credentials: The credentials to use.
        aws_client_parameters: Client settings replacing the credentials' own (optional).
        key: The object's key; a random UUID when not given.

    Returns:
        The object's key.

    Example:
        ```python
        from cadenza import flow
        from cadenza_aws import AwsCredentials, s3_upload

        @flow
        def upload() -> str:
            credentials = AwsCredentials.load("prod")
            return s3_upload(b"hello", "my-bucket", credentials, key="greetings/hello.txt")
        ```
    """
    check_bucket_name(bucket)
    key = validate_key(key) if key is not None else str(uuid.uuid4())
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"s3_upload() needs bytes, got {type(data).__name__}")
    get_run_logger().info("Uploading %d bytes to s3://%s/%s", len(data), bucket, key)
    try:
        _client(aws_credentials, aws_client_parameters).put_object(
            Bucket=bucket, Key=key, Body=bytes(data)
        )
    except Exception as exc:
        raise _fail(exc, "PutObject", bucket, key, aws_credentials) from None
    return key


@task
def s3_download(
    bucket: str,
    key: str,
    aws_credentials: AwsCredentials,
    aws_client_parameters: AwsClientParameters | None = None,
) -> bytes:
    """Download an object's content from an S3 bucket.

    Args:
        bucket: The name of the bucket.
        key: The object's key.
        aws_credentials: The credentials to use.
        aws_client_parameters: Client settings replacing the credentials' own (optional).

    Returns:
        The object's content.

    Raises:
        S3NotFoundError: (a `FileNotFoundError`) naming the bucket and key, if there is no such
            object or bucket.

    Example:
        ```python
        from cadenza import flow
        from cadenza_aws import AwsCredentials, s3_download

        @flow
        def download() -> bytes:
            credentials = AwsCredentials.load("prod")
            return s3_download("my-bucket", "greetings/hello.txt", credentials)
        ```
    """
    check_bucket_name(bucket)
    key = validate_key(key)
    get_run_logger().info("Downloading s3://%s/%s", bucket, key)
    try:
        response = _client(aws_credentials, aws_client_parameters).get_object(
            Bucket=bucket, Key=key
        )
        return bytes(response["Body"].read())
    except Exception as exc:
        raise _fail(exc, "GetObject", bucket, key, aws_credentials) from None


@task
def s3_list_objects(
    bucket: str,
    aws_credentials: AwsCredentials,
    aws_client_parameters: AwsClientParameters | None = None,
    prefix: str = "",
    delimiter: str = "",
    page_size: int | None = None,
    max_items: int | None = None,
    jmespath_query: str | None = None,
) -> list[dict[str, Any]]:
    """List the objects of an S3 bucket.

    Args:
        bucket: The name of the bucket.
        aws_credentials: The credentials to use.
        aws_client_parameters: Client settings replacing the credentials' own (optional).
        prefix: Only objects whose key starts with this.
        delimiter: ``"/"`` to stop at the next folder level.
        page_size: Objects per request to S3.
        max_items: At most this many objects.
        jmespath_query: A JMESPath query over the pages, e.g. ``"Contents[?Size > `100`][]"``.

    Returns:
        The objects as S3 describes them: dicts with ``Key``, ``Size``, ``LastModified``,
        ``ETag``, ... (or what ``jmespath_query`` selects).

    Example:
        ```python
        from cadenza import flow
        from cadenza_aws import AwsCredentials, s3_list_objects

        @flow
        def keys() -> list[str]:
            credentials = AwsCredentials.load("prod")
            objects = s3_list_objects("my-bucket", credentials, prefix="greetings/")
            return [obj["Key"] for obj in objects]
        ```
    """
    check_bucket_name(bucket)
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string, got {type(prefix).__name__}")
    get_run_logger().info("Listing objects of s3://%s/%s", bucket, prefix)
    pagination = {
        k: v for k, v in (("PageSize", page_size), ("MaxItems", max_items)) if v is not None
    }
    try:
        paginator = _client(aws_credentials, aws_client_parameters).get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=bucket, Prefix=prefix, Delimiter=delimiter, PaginationConfig=pagination
        )
        if jmespath_query:
            return [item for item in pages.search(jmespath_query) if item is not None]
        return [obj for page in pages for obj in page.get("Contents", [])]
    except Exception as exc:
        raise _fail(exc, "ListObjectsV2", bucket, prefix, aws_credentials) from None


@task
def s3_copy(
    source_path: str,
    target_path: str,
    source_bucket_name: str,
    aws_credentials: AwsCredentials,
    target_bucket_name: str | None = None,
    **copy_kwargs: Any,
) -> str:
    """Copy an object, within a bucket or to another one.

    Args:
        source_path: The key of the object to copy.
        target_path: The key of the copy.
        source_bucket_name: The bucket holding the object.
        aws_credentials: The credentials to use (for both buckets).
        target_bucket_name: The bucket of the copy (default: the source bucket).
        **copy_kwargs: More arguments for boto3's ``copy_object`` (``MetadataDirective``, ...).

    Returns:
        The key of the copy.

    Example:
        ```python
        from cadenza import flow
        from cadenza_aws import AwsCredentials, s3_copy

        @flow
        def archive() -> str:
            credentials = AwsCredentials.load("prod")
            return s3_copy("reports/today.csv", "archive/today.csv", "my-bucket", credentials)
        ```
    """
    check_bucket_name(source_bucket_name)
    target_bucket_name = check_bucket_name(target_bucket_name or source_bucket_name)
    source_path, target_path = validate_key(source_path), validate_key(target_path)
    get_run_logger().info(
        "Copying s3://%s/%s to s3://%s/%s",
        source_bucket_name,
        source_path,
        target_bucket_name,
        target_path,
    )
    try:
        aws_credentials.get_s3_client().copy_object(
            CopySource={"Bucket": source_bucket_name, "Key": source_path},
            Bucket=target_bucket_name,
            Key=target_path,
            **copy_kwargs,
        )
    except Exception as exc:
        raise _fail(exc, "CopyObject", source_bucket_name, source_path, aws_credentials) from None
    return target_path


@task
def s3_delete(
    bucket: str,
    key: str,
    aws_credentials: AwsCredentials,
    aws_client_parameters: AwsClientParameters | None = None,
) -> str:
    """Delete an object from an S3 bucket (a missing object is not an error, as in S3).

    Args:
        bucket: The name of the bucket.
        key: The object's key.
        aws_credentials: The credentials to use.
        aws_client_parameters: Client settings replacing the credentials' own (optional).

    Returns:
        The deleted object's key.

    Example:
        ```python
        from cadenza import flow
        from cadenza_aws import AwsCredentials, s3_delete

        @flow
        def clean_up() -> None:
            s3_delete("my-bucket", "tmp/scratch.bin", AwsCredentials.load("prod"))
        ```
    """
    check_bucket_name(bucket)
    key = validate_key(key)
    get_run_logger().info("Deleting s3://%s/%s", bucket, key)
    try:
        _client(aws_credentials, aws_client_parameters).delete_object(Bucket=bucket, Key=key)
    except Exception as exc:
        raise _fail(exc, "DeleteObject", bucket, key, aws_credentials) from None
    return key


__all__ = ["s3_copy", "s3_delete", "s3_download", "s3_list_objects", "s3_upload"]
