"""The errors cadenza-azure raises, besides `FileNotFoundError` for a missing blob.

Messages name the account URL, the container, the blob and what was attempted, and never
contain a credential: no connection string, no account key, no SAS token.
"""

from __future__ import annotations


class AzureBlobStorageError(Exception):
    """Base class of cadenza-azure's own errors; also raised for a failed Blob Storage call
    that none of the subclasses describes (the message carries status and error code)."""


class AzureCredentialsError(AzureBlobStorageError, ValueError):
    """The credentials cannot be used: none were given, or a connection string or account key
    is malformed, or a source needs a package that is not installed."""


class AzureAuthenticationError(AzureBlobStorageError, PermissionError):
    """Blob Storage refused the credentials (a wrong key, an expired or too narrow SAS)."""


class AzureContainerNotFoundError(AzureBlobStorageError, FileNotFoundError):
    """The container does not exist in the storage account."""


class AzureConnectionError(AzureBlobStorageError, ConnectionError):
    """The storage account's endpoint could not be reached (or did not answer in time)."""


__all__ = [
    "AzureAuthenticationError",
    "AzureBlobStorageError",
    "AzureConnectionError",
    "AzureContainerNotFoundError",
    "AzureCredentialsError",
]
