"""The errors cadenza-aws raises. Each names the operation and the bucket, key or secret.

They subclass the built-in exception a caller would naturally catch — `FileNotFoundError` for a
missing object or bucket, `PermissionError` for refused credentials, `LookupError` for a missing
secret — so code written against `cadenza.storage.StorageBackend` needs nothing AWS-specific.
Messages never contain credentials: only AWS's error code and message, and what was asked for.
"""

from __future__ import annotations


class AwsError(Exception):
    """Base class of cadenza-aws's errors: ``operation`` (e.g. ``"GetObject"``) and ``code``
    (AWS's error code, e.g. ``"NoSuchKey"``; None when the request never got an answer)."""

    def __init__(self, message: str, *, operation: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.code = code


class AwsOperationError(AwsError, RuntimeError):
    """An AWS call failed for a reason not covered by a more specific error below."""


class AwsAuthError(AwsError, PermissionError):
    """AWS refused the request's credentials (unknown key, wrong secret, expired token, access
    denied), or no credentials could be found."""


class S3NotFoundError(AwsError, FileNotFoundError):
    """The S3 object, or its bucket, does not exist."""


class SecretNotFoundError(AwsError, LookupError):
    """The Secrets Manager secret (or the asked-for version of it) does not exist."""


__all__ = [
    "AwsAuthError",
    "AwsError",
    "AwsOperationError",
    "S3NotFoundError",
    "SecretNotFoundError",
]
