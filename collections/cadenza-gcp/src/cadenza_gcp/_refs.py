"""How a `GcsBucket`'s result reference names its credentials — never by their secrets.

A result reference is stored in the run record in clear text, so the credentials part is one of:

- ``{"block": "gcp-credentials/NAME"}`` — the credentials were saved (or loaded) as a block;
  another process loads them by name (it needs the same ``CADENZA_HOME`` or server, and key);
- ``{"project": ..., "anonymous": ..., "api_endpoint": ..., "service_account_file": ...}`` —
  their non-secret fields. An unsaved ``service_account_info`` is *dropped*: the reading
  process then uses Google's default credential chain. Save the credentials block to avoid that.
"""

from __future__ import annotations

from typing import Any

from cadenza_gcp.credentials import GcpCredentials


def credentials_ref(credentials: GcpCredentials) -> dict[str, Any]:
    """The clear-text description of ``credentials`` (see the module docstring)."""
    name = credentials._block_document_name
    if name is not None:
        return {"block": f"{credentials.get_block_type_slug()}/{name}"}
    fields = credentials.non_secret_fields()
    return {key: value for key, value in fields.items() if value not in (None, False)}


def credentials_from_ref(ref: Any) -> GcpCredentials:
    """The credentials a `credentials_ref` dict describes (``None``: the default chain)."""
    if ref is None:
        return GcpCredentials()
    if not isinstance(ref, dict):
        raise ValueError(f"Malformed credentials in a GCS storage reference: {ref!r}")
    if ref.get("block"):
        return GcpCredentials.load(ref["block"], _sync=True)  # type: ignore[call-arg]  # sync
    allowed = ("project", "anonymous", "api_endpoint", "service_account_file")
    return GcpCredentials(**{key: ref[key] for key in allowed if key in ref})


__all__ = ["credentials_from_ref", "credentials_ref"]
