"""Google Cloud for cadenza: credentials and bucket blocks, GCS result storage, prebuilt tasks.

    from cadenza import flow
    from cadenza_gcp import GcpCredentials, GcsBucket, gcs_upload

    bucket = GcsBucket(bucket="acme", gcp_credentials=GcpCredentials.load("prod"))

    @flow
    def publish():
        gcs_upload(bucket, "hello.txt", "hello")

Names are imported on first access, so ``import cadenza_gcp`` imports neither pydantic nor
google-cloud-storage; the SDK is imported only when a client is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_gcp.bucket import GcsBucket
    from cadenza_gcp.credentials import GcpCredentials
    from cadenza_gcp.exceptions import (
        GcpAuthenticationError,
        GcpCredentialsError,
        GcpError,
        GcsError,
    )
    from cadenza_gcp.tasks import (
        gcs_copy,
        gcs_delete,
        gcs_download,
        gcs_list_blobs,
        gcs_upload,
    )

_LAZY = {
    "GcpCredentials": "cadenza_gcp.credentials",
    "GcsBucket": "cadenza_gcp.bucket",
    "GcpAuthenticationError": "cadenza_gcp.exceptions",
    "GcpCredentialsError": "cadenza_gcp.exceptions",
    "GcpError": "cadenza_gcp.exceptions",
    "GcsError": "cadenza_gcp.exceptions",
    "gcs_copy": "cadenza_gcp.tasks",
    "gcs_delete": "cadenza_gcp.tasks",
    "gcs_download": "cadenza_gcp.tasks",
    "gcs_list_blobs": "cadenza_gcp.tasks",
    "gcs_upload": "cadenza_gcp.tasks",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-gcp")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cadenza_gcp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])


__all__ = [
    "GcpAuthenticationError",
    "GcpCredentials",
    "GcpCredentialsError",
    "GcpError",
    "GcsBucket",
    "GcsError",
    "gcs_copy",
    "gcs_delete",
    "gcs_download",
    "gcs_list_blobs",
    "gcs_upload",
]
