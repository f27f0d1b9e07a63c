"""The `cadenza` entry point of cadenza-gcp (``[project.entry-points.cadenza] gcp``).

Imported whenever cadenza loads its plugins, so it imports nothing but the `hookimpl` marker:
the blocks (pydantic) and tasks are imported inside the hooks, and google-cloud-storage only
when a client is built.
"""

from cadenza import hookimpl

#: The cadenza versions this collection works with (a PEP 440 specifier set).
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_block_types() -> list[type]:
    from cadenza_gcp.bucket import GcsBucket
    from cadenza_gcp.credentials import GcpCredentials

    return [GcpCredentials, GcsBucket]


@hookimpl
def register_storage_backends() -> list[type]:
    from cadenza_gcp.bucket import GcsBucket

    return [GcsBucket]


@hookimpl
def register_tasks() -> list[object]:
    from cadenza_gcp import cloud_storage, tasks

    return [*tasks.TASKS, *cloud_storage.TASKS]
