"""Turn botocore's exceptions into cadenza-aws's errors (`cadenza_aws.exceptions`).

`translate` is called in an ``except`` block around each boto3 call with a description of what
was asked for (``"s3://bucket/key"``, ``"secret 'name'"``); the result is raised in place of the
botocore error, naming the target. Any secret value the caller passes is scrubbed from the
message as a last line of defence (AWS's messages do not echo secrets, but proxies might).
"""

from __future__ import annotations

from collections.abc import Iterable

from cadenza_aws.exceptions import (
    AwsAuthError,
    AwsError,
    AwsOperationError,
    S3NotFoundError,
    SecretNotFoundError,
)

AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "403",
    }
)
S3_MISSING_OBJECT = frozenset({"NoSuchKey", "404", "NotFound"})
S3_MISSING_BUCKET = frozenset({"NoSuchBucket"})
SECRET_MISSING = frozenset({"ResourceNotFoundException"})

_MASK = "********"


def translate(
    exc: BaseException,
    *,
    operation: str,
    target: str,
    secrets: Iterable[str] = (),
    bucket: str | None = None,
) -> AwsError:
    """The cadenza-aws error standing for ``exc``, raised by ``operation`` on ``target``."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        message = str(error.get("Message") or "")
        if code == "403" and "SignatureDoesNotMatch" in message:  # some services answer in XML
            code, message = "SignatureDoesNotMatch", "the request signature does not match"
        detail = f"{code}: {message}" if message else code
        if code in S3_MISSING_BUCKET:
            text = f"S3 bucket {bucket!r} does not exist ({operation} {target})"
            return S3NotFoundError(_scrub(text, secrets), operation=operation, code=code)
        if code in S3_MISSING_OBJECT:
            text = f"No S3 object at {target} ({operation}: {detail})"
            return S3NotFoundError(_scrub(text, secrets), operation=operation, code=code)
        if code in SECRET_MISSING:
            text = f"No {target} in AWS Secrets Manager ({operation}: {detail})"
            return SecretNotFoundError(_scrub(text, secrets), operation=operation, code=code)
        if code in AUTH_CODES:
            text = (
                f"AWS refused {operation} on {target}: {detail}. Check the AWS credentials "
                "(access key id, secret access key, session token) and their permissions"
            )
            return AwsAuthError(_scrub(text, secrets), operation=operation, code=code)
        text = f"AWS {operation} on {target} failed: {detail}"
        return AwsOperationError(_scrub(text, secrets), operation=operation, code=code)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        text = (
            f"No usable AWS credentials for {operation} on {target}: {exc}. Set them on the "
            "AwsCredentials block, or for boto3's default chain (AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, an instance role)"
        )
        return AwsAuthError(_scrub(text, secrets), operation=operation)
    if isinstance(exc, EndpointConnectionError):
        text = f"Could not reach AWS for {operation} on {target}: {exc}"
        return AwsOperationError(_scrub(text, secrets), operation=operation)
    text = f"AWS {operation} on {target} failed: {type(exc).__name__}: {exc}"
    return AwsOperationError(_scrub(text, secrets), operation=operation)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, _MASK)
    return text
