"""prefect-gcp's ``prefect_gcp.cloud_storage`` names, so ported code changes only its imports.

``from prefect_gcp.cloud_storage import GcsBucket, cloud_storage_upload_blob_from_string``
becomes ``from cadenza_gcp.cloud_storage import ...``. These tasks take a bucket *name* and a
`GcpCredentials` block, as prefect-gcp's do; new code may prefer the `GcsBucket`-based tasks of
`cadenza_gcp.tasks` (re-exported here too). Blob names are full object names in the bucket and
are validated like storage keys (no ``..``, not absolute).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cadenza import get_run_logger, task
from cadenza.storage import validate_key

from cadenza_gcp._errors import gcs_errors, gs_url
from cadenza_gcp.bucket import GcsBucket
from cadenza_gcp.credentials import GcpCredentials
from cadenza_gcp.tasks import gcs_copy, gcs_delete, gcs_download, gcs_list_blobs, gcs_upload

if TYPE_CHECKING:
    from google.cloud.storage import Blob


def _blob(
    bucket: str,
    blob: str,
    gcp_credentials: GcpCredentials,
    project: str | None,
    chunk_size: int | None = None,
    encryption_key: bytes | None = None,
) -> Blob:
    client = gcp_credentials.get_cloud_storage_client(project=project)
    return client.bucket(bucket).blob(
        validate_key(blob), chunk_size=chunk_size, encryption_key=encryption_key
    )


@task
def cloud_storage_create_bucket(
    bucket: str,
    gcp_credentials: GcpCredentials,
    project: str | None = None,
    location: str | None = None,
    **create_kwargs: Any,
) -> str:
    """Create a bucket.

    Args:
        bucket: the new bucket's name.
        gcp_credentials: credentials with permission to create buckets.
        project: the project to create it in; default the credentials'.
        location: e.g. ``"EU"``; default Cloud Storage's.
        **create_kwargs: passed to ``Client.create_bucket``.

    Returns:
        The bucket's name.

    Example:
        ```python
        @flow
        def setup(credentials: GcpCredentials):
            cloud_storage_create_bucket("acme-results", credentials, location="EU")
        ```
    """
    client = gcp_credentials.get_cloud_storage_client(project=project)
    with gcs_errors("create bucket", bucket):
        client.create_bucket(bucket, location=location, **create_kwargs)
    get_run_logger().info("Created bucket %s", gs_url(bucket))
    return bucket


@task
def cloud_storage_download_blob_as_bytes(
    bucket: str,
    blob: str,
    gcp_credentials: GcpCredentials,
    chunk_size: int | None = None,
    encryption_key: bytes | None = None,
    timeout: float | tuple[float, float] = 60,
    project: str | None = None,
    **download_kwargs: Any,
) -> bytes:
    """Download an object's content.

    Args:
        bucket: the bucket's name.
        blob: the object's name.
        gcp_credentials: the credentials.
        chunk_size, encryption_key: as for ``Bucket.blob`` (a customer-supplied key).
        timeout: seconds to wait for the server.
        project: the project; default the credentials'.
        **download_kwargs: passed to ``Blob.download_as_bytes``.

    Returns:
        The content. A missing object is a `FileNotFoundError` naming bucket and object.

    Example:
        ```python
        data = cloud_storage_download_blob_as_bytes("acme", "in/data.csv", credentials)
        ```
    """
    obj = _blob(bucket, blob, gcp_credentials, project, chunk_size, encryption_key)
    with gcs_errors("download", bucket, obj.name):
        data: bytes = obj.download_as_bytes(timeout=timeout, **download_kwargs)  # untyped SDK
        return data


@task
def cloud_storage_download_blob_to_file(
    bucket: str,
    blob: str,
    path: str | Path,
    gcp_credentials: GcpCredentials,
    chunk_size: int | None = None,
    encryption_key: bytes | None = None,
    timeout: float | tuple[float, float] = 60,
    project: str | None = None,
    **download_kwargs: Any,
) -> str | Path:
    """Download an object to a local file (``path``, or ``path/<object file name>`` when
    ``path`` is a directory).

    Args:
        bucket, blob, gcp_credentials, chunk_size, encryption_key, timeout, project: as for
            `cloud_storage_download_blob_as_bytes`.
        path: the local file or directory.
        **download_kwargs: passed to ``Blob.download_to_filename``.

    Returns:
        The local path written (of the type given).

    Example:
        ```python
        cloud_storage_download_blob_to_file("acme", "in/data.csv", "/tmp/data.csv", credentials)
        ```
    """
    obj = _blob(bucket, blob, gcp_credentials, project, chunk_size, encryption_key)
    target = Path(path)
    if target.is_dir():
        target = target / Path(obj.name).name
        path = target if isinstance(path, Path) else str(target)
    with gcs_errors("download", bucket, obj.name):
        try:
            obj.download_to_filename(str(target), timeout=timeout, **download_kwargs)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    return path


@task
def cloud_storage_upload_blob_from_string(
    data: str | bytes,
    bucket: str,
    blob: str,
    gcp_credentials: GcpCredentials,
    content_type: str | None = None,
    chunk_size: int | None = None,
    encryption_key: bytes | None = None,
    timeout: float | tuple[float, float] = 60,
    project: str | None = None,
    **upload_kwargs: Any,
) -> str:
    """Upload a string or bytes as an object.

    Args:
        data: the content.
        bucket, blob, gcp_credentials, chunk_size, encryption_key, timeout, project: as for
            `cloud_storage_download_blob_as_bytes`.
        content_type: the object's ``Content-Type``.
        **upload_kwargs: passed to ``Blob.upload_from_string``.

    Returns:
        The object's name.

    Example:
        ```python
        cloud_storage_upload_blob_from_string("hello", "acme", "out/hello.txt", credentials)
        ```
    """
    obj = _blob(bucket, blob, gcp_credentials, project, chunk_size, encryption_key)
    with gcs_errors("upload", bucket, obj.name):
        obj.upload_from_string(data, content_type=content_type, timeout=timeout, **upload_kwargs)
    name: str = obj.name  # the SDK is untyped
    return name


@task
def cloud_storage_upload_blob_from_file(
    file: str | Path | IO[bytes],
    bucket: str,
    blob: str,
    gcp_credentials: GcpCredentials,
    content_type: str | None = None,
    chunk_size: int | None = None,
    encryption_key: bytes | None = None,
    timeout: float | tuple[float, float] = 60,
    project: str | None = None,
    **upload_kwargs: Any,
) -> str:
    """Upload a local file (a path or a binary file object) as an object.

    Args:
        file: the local path, or an open binary file.
        bucket, blob, gcp_credentials, content_type, chunk_size, encryption_key, timeout,
            project: as for `cloud_storage_upload_blob_from_string`.
        **upload_kwargs: passed to ``Blob.upload_from_filename`` / ``upload_from_file``.

    Returns:
        The object's name.

    Example:
        ```python
        cloud_storage_upload_blob_from_file("/tmp/data.csv", "acme", "in/data.csv", credentials)
        ```
    """
    obj = _blob(bucket, blob, gcp_credentials, project, chunk_size, encryption_key)
    with gcs_errors("upload", bucket, obj.name):
        if isinstance(file, (str, Path)):
            if not Path(file).is_file():
                raise FileNotFoundError(f"Cannot upload {str(file)!r}: no such file")
            obj.upload_from_filename(
                str(file), content_type=content_type, timeout=timeout, **upload_kwargs
            )
        else:
            obj.upload_from_file(file, content_type=content_type, timeout=timeout, **upload_kwargs)
    name: str = obj.name  # the SDK is untyped
    return name


@task
def cloud_storage_copy_blob(
    source_bucket: str,
    dest_bucket: str,
    source_blob: str,
    gcp_credentials: GcpCredentials,
    dest_blob: str | None = None,
    timeout: float | tuple[float, float] = 60,
    project: str | None = None,
    **copy_kwargs: Any,
) -> str:
    """Copy an object server side, to another bucket or name.

    Args:
        source_bucket: the source bucket's name.
        dest_bucket: the target bucket's name.
        source_blob: the object to copy.
        gcp_credentials: the credentials.
        dest_blob: the new object's name; default ``source_blob``.
        timeout: seconds to wait for the server.
        project: the project; default the credentials'.
        **copy_kwargs: passed to ``Bucket.copy_blob``.

    Returns:
        The new object's name.

    Example:
        ```python
        cloud_storage_copy_blob("acme", "acme-archive", "out/hello.txt", credentials)
        ```
    """
    client = gcp_credentials.get_cloud_storage_client(project=project)
    source = client.bucket(source_bucket).blob(validate_key(source_blob))
    new_name = validate_key(dest_blob if dest_blob is not None else source_blob)
    with gcs_errors("copy", source_bucket, source.name):
        client.bucket(source_bucket).copy_blob(
            source, client.bucket(dest_bucket), new_name, timeout=timeout, **copy_kwargs
        )
    return new_name


TASKS = (
    cloud_storage_create_bucket,
    cloud_storage_download_blob_as_bytes,
    cloud_storage_download_blob_to_file,
    cloud_storage_upload_blob_from_string,
    cloud_storage_upload_blob_from_file,
    cloud_storage_copy_blob,
)
"""The prefect-gcp-named tasks of this module, as registered by the plugin."""

__all__ = [
    "GcpCredentials",
    "GcsBucket",
    "cloud_storage_copy_blob",
    "cloud_storage_create_bucket",
    "cloud_storage_download_blob_as_bytes",
    "cloud_storage_download_blob_to_file",
    "cloud_storage_upload_blob_from_file",
    "cloud_storage_upload_blob_from_string",
    "gcs_copy",
    "gcs_delete",
    "gcs_download",
    "gcs_list_blobs",
    "gcs_upload",
]
