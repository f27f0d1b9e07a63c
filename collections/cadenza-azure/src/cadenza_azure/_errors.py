"""Translate azure-storage-blob exceptions into cadenza-azure's clear, secret-free errors.

The SDK's exception classes are imported only when an exception is being translated, so that
importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cadenza_azure.exceptions import (
    AzureAuthenticationError,
    AzureBlobStorageError,
    AzureConnectionError,
    AzureContainerNotFoundError,
    AzureCredentialsError,
)

_AUTH_CODES = frozenset(
    {
        "AuthenticationFailed",
        "AuthorizationFailure",
        "AuthorizationPermissionMismatch",
        "AuthorizationResourceTypeMismatch",
        "AuthorizationServiceMismatch",
        "AuthorizationProtocolMismatch",
        "AuthorizationSourceIPMismatch",
        "InsufficientAccountPermissions",
        "NoAuthenticationInformation",
    }
)


def blob_url(account_url: str, container: str, blob: str | None = None) -> str:
    """``ACCOUNT_URL/container/blob`` (or ``ACCOUNT_URL/container`` without a blob)."""
    base = f"{account_url.rstrip('/')}/{container}"
    return f"{base}/{blob}" if blob else base


@contextmanager
def azure_errors(
    action: str, account_url: str, container: str, blob: str | None = None
) -> Iterator[None]:
    """Run a Blob Storage call; re-raise its failure as a cadenza-azure error naming
    ``action`` (``"read"``, ``"upload"``, ...), the account URL, the container and the blob.

    - container missing: `AzureContainerNotFoundError` (a `FileNotFoundError`);
    - blob missing: `FileNotFoundError`; blob exists (an upload without overwrite):
      `FileExistsError`;
    - 401/403 or an authentication error code: `AzureAuthenticationError`;
    - endpoint unreachable or timed out: `AzureConnectionError`;
    - any other service error: `AzureBlobStorageError`.

    The SDK's exception is not chained: its text can hold request headers and a SAS query.
    """
    try:
        yield
    except (AzureBlobStorageError, FileNotFoundError, FileExistsError, TypeError):
        raise
    except Exception as exc:
        translated = _translate(exc, action, account_url, container, blob)
        if translated is None:
            raise
        raise translated from None


def _translate(
    exc: Exception, action: str, account_url: str, container: str, blob: str | None
) -> Exception | None:
    from azure.core import exceptions as core

    where = blob_url(account_url, container, blob)
    if isinstance(exc, core.HttpResponseError):
        code = _error_code(exc)
        status = exc.status_code
        if code == "ContainerNotFound" or (status == 404 and blob is None):
            return AzureContainerNotFoundError(
                f"Cannot {action} {where}: container {container!r} does not exist in the "
                f"storage account at {account_url}"
            )
        if status == 404:
            return FileNotFoundError(
                f"Cannot {action} {where}: no blob {blob!r} in container {container!r}"
            )
        if code == "BlobAlreadyExists":
            return FileExistsError(
                f"Cannot {action} {where}: the blob exists (pass overwrite=True to replace it)"
            )
        if code in _AUTH_CODES or status in (401, 403):
            return AzureAuthenticationError(
                f"Cannot {action} {where}: Azure Blob Storage refused the credentials "
                f"({status} {code or 'Forbidden'}); check the account key, SAS token or "
                "connection string"
            )
        return AzureBlobStorageError(f"Cannot {action} {where}: {status} {code or _first(exc)}")
    if isinstance(exc, core.ClientAuthenticationError):
        return AzureAuthenticationError(
            f"Cannot {action} {where}: no token could be obtained for the account "
            f"({type(exc).__name__})"
        )
    if isinstance(exc, (core.ServiceRequestError, core.ServiceResponseError)):
        return AzureConnectionError(
            f"Cannot {action} {where}: the storage endpoint {account_url} could not be "
            f"reached ({_reason(exc)}); check account_url / BlobEndpoint and the network"
        )
    if isinstance(exc, ValueError) and "key" in str(exc).lower():
        return AzureCredentialsError(
            f"Cannot {action} {where}: the account key is malformed (it must be the base64 key "
            "shown in the portal)"
        )
    return None


def _error_code(exc: Exception) -> str | None:
    code = getattr(exc, "error_code", None)
    if code is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
        code = headers.get("x-ms-error-code")
    return str(getattr(code, "value", code)) if code else None


def _reason(exc: Exception) -> str:
    """The low-level cause, without the URL's query (a SAS token can sit there)."""
    text = _first(exc)
    for marker in ("Connection refused", "timed out", "Name or service not known", "resolve"):
        if marker.lower() in text.lower():
            return marker
    return type(exc).__name__


def _first(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(message).splitlines()[0][:200].split("?", 1)[0]


__all__ = ["azure_errors", "blob_url"]
