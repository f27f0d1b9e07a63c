"""Prebuilt Blob Storage tasks with prefect-azure's names and signatures: ordinary `@task`s that
take a container name and an `AzureBlobStorageCredentials` block.

They are synchronous here (prefect-azure's are ``async``): call them in a flow without
``await``. Blob names are validated like every storage key (no ``..``, not absolute).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from cadenza import get_run_logger, task
from cadenza.storage import validate_key

from cadenza_azure.container import AzureBlobStorageContainer, _validate_prefix
from cadenza_azure.credentials import AzureBlobStorageCredentials

if TYPE_CHECKING:
    from azure.storage.blob import BlobProperties


def _container(name: str, credentials: AzureBlobStorageCredentials) -> AzureBlobStorageContainer:
    if not isinstance(credentials, AzureBlobStorageCredentials):
        raise TypeError(
            "blob_storage_credentials must be an AzureBlobStorageCredentials block, got "
            f"{type(credentials).__name__}"
        )
    return AzureBlobStorageContainer(container_name=name, credentials=credentials)


@task
def blob_storage_download(
    container: str, blob: str, blob_storage_credentials: AzureBlobStorageCredentials
) -> bytes:
    """Download a blob.

    Args:
        container: the container's name.
        blob: the blob's name in the container.
        blob_storage_credentials: the credentials of the storage account.

    Returns:
        The blob's content.

    Raises:
        FileNotFoundError: no such blob; `AzureContainerNotFoundError` (a `FileNotFoundError`)
            when the container does not exist. Both name the container and the blob.

    Example:
        ```python
        @flow
        def load(credentials: AzureBlobStorageCredentials) -> str:
            data = blob_storage_download(
                container="reports", blob="today.csv", blob_storage_credentials=credentials
            )
            return data.decode()
        ```
    """
    target = _container(container, blob_storage_credentials)
    get_run_logger().info("Downloading blob %s from container %s", blob, container)
    return target.read_path(blob)


@task
def blob_storage_upload(
    data: bytes | str,
    container: str,
    blob_storage_credentials: AzureBlobStorageCredentials,
    blob: str | None = None,
    overwrite: bool = False,
) -> str:
    """Upload ``data`` as a blob.

    Args:
        data: the content; a `str` is encoded as UTF-8.
        container: the container's name.
        blob_storage_credentials: the credentials of the storage account.
        blob: the blob's name; default: a new UUID.
        overwrite: replace an existing blob; when false (the default, as in prefect-azure) an
            existing blob is a `FileExistsError`.

    Returns:
        The blob's name.

    Example:
        ```python
        @flow
        def publish(credentials: AzureBlobStorageCredentials):
            blob_storage_upload(
                b"a,b\\n1,2\\n", container="reports", blob="today.csv",
                blob_storage_credentials=credentials, overwrite=True,
            )
        ```
    """
    if isinstance(data, str):
        payload = data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        payload = bytes(data)
    else:
        raise TypeError(f"blob_storage_upload() needs bytes or str data, got {type(data).__name__}")
    name = validate_key(blob) if blob is not None else str(uuid.uuid4())
    target = _container(container, blob_storage_credentials)
    get_run_logger().info(
        "Uploading %d bytes to blob %s in container %s", len(payload), name, container
    )
    with target._errors("upload", name):
        target._blob(name).upload_blob(payload, overwrite=overwrite)
    return name


@task
def blob_storage_list(
    container: str,
    blob_storage_credentials: AzureBlobStorageCredentials,
    name_starts_with: str | None = None,
    include: str | list[str] | None = None,
    **kwargs: Any,
) -> list[BlobProperties]:
    """List the blobs of a container.

    Args:
        container: the container's name.
        blob_storage_credentials: the credentials of the storage account.
        name_starts_with: only blobs whose names start with this prefix (``"reports/"``).
        include: more data to return with each blob (``"metadata"``, ``"tags"``, ...).
        **kwargs: passed to the SDK's ``ContainerClient.list_blobs``.

    Returns:
        The SDK's ``BlobProperties`` of each blob (``.name``, ``.size``, ``.last_modified``,
        ...), in name order.

    Example:
        ```python
        @flow
        def inventory(credentials: AzureBlobStorageCredentials) -> list[str]:
            blobs = blob_storage_list(
                container="reports", blob_storage_credentials=credentials,
                name_starts_with="2024/",
            )
            return [blob.name for blob in blobs]
        ```
    """
    prefix = _validate_prefix(name_starts_with) if name_starts_with else None
    target = _container(container, blob_storage_credentials)
    get_run_logger().info("Listing blobs in container %s", container)
    with target._errors("list", prefix):
        client = target.get_container_client()
        return list(client.list_blobs(name_starts_with=prefix, include=include, **kwargs))


TASKS = (blob_storage_upload, blob_storage_download, blob_storage_list)
"""The tasks of this module, as registered by the plugin."""

__all__ = ["blob_storage_download", "blob_storage_list", "blob_storage_upload"]
