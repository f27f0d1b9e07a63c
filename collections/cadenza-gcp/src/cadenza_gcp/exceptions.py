"""The errors cadenza-gcp raises, besides `FileNotFoundError` for a missing object.

Messages name the bucket, the object and what was attempted, and never contain a credential:
no private key, no token, nothing from ``service_account_info``.
"""

from __future__ import annotations


class GcpError(Exception):
    """Base class of cadenza-gcp's own errors."""


class GcpCredentialsError(GcpError, ValueError):
    """The credentials cannot be built: a malformed ``service_account_info``, a missing
    ``service_account_file``, or no default credentials in this environment."""


class GcpAuthenticationError(GcpError, PermissionError):
    """Google Cloud refused the credentials, or no access token could be obtained for them."""


class GcsError(GcpError, RuntimeError):
    """A Cloud Storage call failed for another reason (the message carries status and reason)."""


__all__ = ["GcpAuthenticationError", "GcpCredentialsError", "GcpError", "GcsError"]
