"""The `cadenza` entry point of cadenza-azure (``[project.entry-points.cadenza] azure``).

cadenza imports this module whenever it loads its plugins, so it holds only the hook
implementations and `CADENZA_API`, and imports nothing but the `hookimpl` marker: the blocks
(pydantic) and tasks are imported inside the hooks, and azure-storage-blob only when a client
is built. The conformance kit checks this (tests/test_azure_package.py).
"""

from cadenza import hookimpl

#: The cadenza versions this collection works with (a PEP 440 specifier set). A cadenza outside
#: it skips the collection and says why in `cadenza plugins ls`.
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_block_types() -> list[type]:
    """Block types: saved and loaded by name, created with `cadenza block create`."""
    from cadenza_azure.container import AzureBlobStorageContainer
    from cadenza_azure.credentials import AzureBlobStorageCredentials

    return [AzureBlobStorageCredentials, AzureBlobStorageContainer]


@hookimpl
def register_storage_backends() -> list[type]:
    """Result storage: rebuilt from a result reference of its type (``to_ref()["type"]``)."""
    from cadenza_azure.container import AzureBlobStorageContainer

    return [AzureBlobStorageContainer]


@hookimpl
def register_tasks() -> list[object]:
    """Prebuilt tasks, listed by `cadenza tasks ls`."""
    from cadenza_azure.tasks import TASKS

    return list(TASKS)
