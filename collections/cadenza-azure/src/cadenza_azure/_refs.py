"""How an `AzureBlobStorageContainer`'s result reference names its credentials — never by
their secrets.

A result reference is stored in the run record in clear text, so the credentials part is one of:

- ``{"block": "azure-blob-storage-credentials/NAME"}`` — the credentials were saved (or loaded)
  as a block; another process loads them by name (it needs the same ``CADENZA_HOME`` or server,
  and key);
- their non-secret fields (``account_url``, ``account_name``, the retry and timeout settings).
  An unsaved connection string, account key or SAS token is *dropped*: the reading process then
  uses ``AZURE_STORAGE_CONNECTION_STRING`` (or Azure AD for an account URL). Save the
  credentials block to avoid that.
"""

from __future__ import annotations

from typing import Any

from cadenza_azure.credentials import AzureBlobStorageCredentials

_ALLOWED = ("account_url", "account_name", "max_retries", "connection_timeout", "read_timeout")


def credentials_ref(credentials: AzureBlobStorageCredentials) -> dict[str, Any]:
    """The clear-text description of ``credentials`` (see the module docstring)."""
    name = credentials._block_document_name
    if name is not None:
        return {"block": f"{credentials.get_block_type_slug()}/{name}"}
    fields = credentials.non_secret_fields()
    return {key: value for key, value in fields.items() if value is not None}


def credentials_from_ref(ref: Any) -> AzureBlobStorageCredentials:
    """The credentials a `credentials_ref` dict describes."""
    if ref is None:
        return AzureBlobStorageCredentials()
    if not isinstance(ref, dict):
        raise ValueError(f"Malformed credentials in an Azure storage reference: {ref!r}")
    if ref.get("block"):
        loaded = AzureBlobStorageCredentials.load(ref["block"], _sync=True)  # type: ignore[call-arg]  # sync
        assert isinstance(loaded, AzureBlobStorageCredentials)
        return loaded
    return AzureBlobStorageCredentials(**{key: ref[key] for key in _ALLOWED if key in ref})


__all__ = ["credentials_from_ref", "credentials_ref"]
