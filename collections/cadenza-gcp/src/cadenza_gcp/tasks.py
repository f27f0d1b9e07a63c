"""Prebuilt Cloud Storage tasks: ordinary `@task`s that take a `GcsBucket` block.

Keys are relative to the block's ``bucket_folder`` and validated like every storage key.
prefect-gcp's task names and signatures (``cloud_storage_upload_blob_from_string``, ...) are in
`cadenza_gcp.cloud_storage`.
"""

from __future__ import annotations

from cadenza import get_run_logger, task
from cadenza.storage import validate_key

from cadenza_gcp._errors import gcs_errors, gs_url
from cadenza_gcp.bucket import GcsBucket


@task
def gcs_upload(
    gcs_bucket: GcsBucket, key: str, data: bytes | str, content_type: str | None = None
) -> str:
    """Upload ``data`` to ``key`` in the bucket, replacing any object there.

    Args:
        gcs_bucket: the bucket (and folder) to upload to.
        key: the object's key, relative to ``gcs_bucket.bucket_folder``.
        data: the content; a `str` is encoded as UTF-8.
        content_type: the object's ``Content-Type``; default ``text/plain`` for a `str`,
            ``application/octet-stream`` for bytes.

    Returns:
        ``key`` (normalised), ready to pass to `gcs_download`.

    Example:
        ```python
        @flow
        def publish(bucket: GcsBucket):
            key = gcs_upload(bucket, "reports/today.csv", "a,b\\n1,2\\n")
        ```
    """
    if isinstance(data, str):
        payload, default_type = data.encode("utf-8"), "text/plain; charset=utf-8"
    elif isinstance(data, (bytes, bytearray, memoryview)):
        payload, default_type = bytes(data), "application/octet-stream"
    else:
        raise TypeError(f"gcs_upload() needs bytes or str data, got {type(data).__name__}")
    blob = gcs_bucket._blob(key)
    with gcs_errors("upload", gcs_bucket.bucket, blob.name):
        blob.upload_from_string(payload, content_type=content_type or default_type)
    get_run_logger().info(
        "Uploaded %d bytes to %s", len(payload), gs_url(gcs_bucket.bucket, blob.name)
    )
    return validate_key(key)


@task
def gcs_download(gcs_bucket: GcsBucket, key: str) -> bytes:
    """Download the object at ``key``.

    Args:
        gcs_bucket: the bucket (and folder) to download from.
        key: the object's key, relative to ``gcs_bucket.bucket_folder``.

    Returns:
        The object's content.

    Raises:
        FileNotFoundError: no such object; the message names the bucket and the key.

    Example:
        ```python
        @flow
        def load(bucket: GcsBucket) -> str:
            return gcs_download(bucket, "reports/today.csv").decode()
        ```
    """
    data = gcs_bucket.read_path(key)
    get_run_logger().info(
        "Downloaded %d bytes from %s",
        len(data),
        gs_url(gcs_bucket.bucket, gcs_bucket._object_name(key)),
    )
    return data


@task
def gcs_list_blobs(gcs_bucket: GcsBucket, prefix: str = "") -> list[str]:
    """List the keys under ``prefix``.

    Args:
        gcs_bucket: the bucket (and folder) to list.
        prefix: a plain string prefix of the keys (``"reports/"``); ``""`` lists everything
            under the bucket folder.

    Returns:
        The keys, relative to ``gcs_bucket.bucket_folder``, sorted.

    Example:
        ```python
        @flow
        def inventory(bucket: GcsBucket) -> list[str]:
            return gcs_list_blobs(bucket, prefix="reports/")
        ```
    """
    return gcs_bucket.list_keys(prefix)


@task
def gcs_copy(
    gcs_bucket: GcsBucket,
    source_key: str,
    target_key: str,
    target_bucket: GcsBucket | None = None,
) -> str:
    """Copy an object server side, within the bucket or to another one.

    Args:
        gcs_bucket: the source bucket (and folder).
        source_key: the key to copy, relative to ``gcs_bucket.bucket_folder``.
        target_key: the new key, relative to the target's ``bucket_folder``.
        target_bucket: the target bucket block; default ``gcs_bucket``.

    Returns:
        ``target_key`` (normalised).

    Raises:
        FileNotFoundError: the source object does not exist.

    Example:
        ```python
        @flow
        def archive(bucket: GcsBucket, archive: GcsBucket):
            gcs_copy(bucket, "reports/today.csv", "2024/today.csv", target_bucket=archive)
        ```
    """
    target = target_bucket if target_bucket is not None else gcs_bucket
    name = gcs_bucket.copy_object(source_key, target_key, to_bucket=target)
    get_run_logger().info(
        "Copied %s to %s",
        gs_url(gcs_bucket.bucket, gcs_bucket._object_name(source_key)),
        gs_url(target.bucket, name),
    )
    return validate_key(target_key)


@task
def gcs_delete(gcs_bucket: GcsBucket, key: str, missing_ok: bool = True) -> bool:
    """Delete the object at ``key``.

    Args:
        gcs_bucket: the bucket (and folder).
        key: the key to delete, relative to ``gcs_bucket.bucket_folder``.
        missing_ok: when false, a missing object is a `FileNotFoundError`.

    Returns:
        True if an object was deleted, False if there was none.

    Example:
        ```python
        @flow
        def cleanup(bucket: GcsBucket):
            gcs_delete(bucket, "reports/yesterday.csv")
        ```
    """
    deleted = gcs_bucket.delete_object(key, missing_ok=missing_ok)
    where = gs_url(gcs_bucket.bucket, gcs_bucket._object_name(key))
    get_run_logger().info("Deleted %s" if deleted else "Nothing to delete at %s", where)
    return deleted


TASKS = (gcs_upload, gcs_download, gcs_list_blobs, gcs_copy, gcs_delete)
"""The tasks of this module, as registered by the plugin."""

__all__ = ["gcs_copy", "gcs_delete", "gcs_download", "gcs_list_blobs", "gcs_upload"]
