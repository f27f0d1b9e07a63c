"""Azure Blob Storage for cadenza: credentials and container blocks, Blob result storage, and
prefect-azure's upload, download and list tasks.

    from cadenza import flow
    from cadenza_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

    container = AzureBlobStorageContainer(
        container_name="results",
        credentials=AzureBlobStorageCredentials.load("prod"),
    )

    @flow(persist_result=True, result_storage=container)
    def nightly(): ...

Names are imported on first access, so ``import cadenza_azure`` imports neither pydantic nor
the Azure SDK (cadenza imports `cadenza_azure.plugin`, and so this package, every time it loads
its plugins); the SDK is imported only when a client is built.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_azure.container import AzureBlobStorageContainer
    from cadenza_azure.credentials import AzureBlobStorageCredentials
    from cadenza_azure.exceptions import (
        AzureAuthenticationError,
        AzureBlobStorageError,
        AzureConnectionError,
        AzureContainerNotFoundError,
        AzureCredentialsError,
    )
    from cadenza_azure.tasks import blob_storage_download, blob_storage_list, blob_storage_upload

# public name -> the module of this package that defines it
_LAZY = {
    "AzureAuthenticationError": "exceptions",
    "AzureBlobStorageContainer": "container",
    "AzureBlobStorageCredentials": "credentials",
    "AzureBlobStorageError": "exceptions",
    "AzureConnectionError": "exceptions",
    "AzureContainerNotFoundError": "exceptions",
    "AzureCredentialsError": "exceptions",
    "blob_storage_download": "tasks",
    "blob_storage_list": "tasks",
    "blob_storage_upload": "tasks",
}

__all__ = [
    "AzureAuthenticationError",
    "AzureBlobStorageContainer",
    "AzureBlobStorageCredentials",
    "AzureBlobStorageError",
    "AzureConnectionError",
    "AzureContainerNotFoundError",
    "AzureCredentialsError",
    "blob_storage_download",
    "blob_storage_list",
    "blob_storage_upload",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-azure")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"cadenza_azure.{module}"), name)
    globals()[name] = value  # the next access is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])
