"""Translate google-cloud-storage exceptions into cadenza-gcp's clear, secret-free errors.

The SDK's exception classes are imported only when an exception is being translated, so that
importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cadenza_gcp.exceptions import GcpAuthenticationError, GcpCredentialsError, GcsError


def gs_url(bucket: str, name: str | None = None) -> str:
    """``gs://bucket/name`` (or ``gs://bucket`` without a name)."""
    return f"gs://{bucket}/{name}" if name else f"gs://{bucket}"


@contextmanager
def gcs_errors(action: str, bucket: str, name: str | None = None) -> Iterator[None]:
    """Run a Cloud Storage call; re-raise its failure as a cadenza-gcp error naming
    ``action`` (``"read"``, ``"upload"``, ...), the bucket and the object.

    - object (or bucket) not found: `FileNotFoundError`;
    - 401/403, a token that cannot be obtained, no default credentials:
      `GcpAuthenticationError` (a `PermissionError`);
    - any other API error: `GcsError`.

    The original exception is chained as ``__cause__`` for debugging; SDK messages carry the
    request URL and status, never the credentials.
    """
    try:
        yield
    except GcpCredentialsError:
        raise
    except Exception as exc:
        translated = _translate(exc, action, bucket, name)
        if translated is None:
            raise
        raise translated from exc


def _translate(exc: Exception, action: str, bucket: str, name: str | None) -> Exception | None:
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    where = gs_url(bucket, name)
    if isinstance(exc, api.NotFound):
        if name is None or action in ("upload", "write"):
            return FileNotFoundError(
                f"Cannot {action} {where}: bucket {bucket!r} does not exist (or is not visible "
                "to these credentials)"
            )
        return FileNotFoundError(
            f"Cannot {action} {where}: no object {name!r} in bucket {bucket!r}"
        )
    if isinstance(exc, (api.Unauthorized, api.Forbidden)):
        return GcpAuthenticationError(
            f"Cannot {action} {where}: Google Cloud Storage refused the credentials "
            f"({exc.code} {_reason(exc)})"
        )
    if isinstance(exc, auth.DefaultCredentialsError):
        return GcpCredentialsError(
            f"Cannot {action} {where}: no credentials were given and none were found in the "
            "environment (GOOGLE_APPLICATION_CREDENTIALS, gcloud, metadata server); set "
            "service_account_info or service_account_file on GcpCredentials"
        )
    if isinstance(exc, (auth.RefreshError, auth.TransportError)):
        return GcpAuthenticationError(
            f"Cannot {action} {where}: could not obtain an access token for the service "
            f"account ({type(exc).__name__}); check the key and that its token_uri is reachable"
        )
    if isinstance(exc, api.GoogleAPICallError):
        return GcsError(f"Cannot {action} {where}: {exc.code} {_reason(exc)}")
    return None


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or type(exc).__name__
    return str(message).splitlines()[0][:300]


__all__ = ["gcs_errors", "gs_url"]
