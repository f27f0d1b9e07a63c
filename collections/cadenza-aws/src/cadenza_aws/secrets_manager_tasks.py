"""The prebuilt Secrets Manager task: ``aws_secrets_manager_get_secret``.

Its signature is prefect-aws's ``read_secret`` task's (``prefect_aws.secrets_manager``); the
value it returns is registered for masking, so it shows as ``********`` in run logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cadenza import get_run_logger, masking, task

if TYPE_CHECKING:
    from cadenza_aws.credentials import AwsCredentials


@task
def aws_secrets_manager_get_secret(
    secret_name: str,
    aws_credentials: AwsCredentials,
    version_id: str | None = None,
    version_stage: str | None = None,
) -> str | bytes:
    """Read a secret's value from AWS Secrets Manager.

    Args:
        secret_name: The name (or ARN) of the secret.
        aws_credentials: The credentials to use.
        version_id: A version's id (default: the current version).
        version_stage: A staging label, e.g. ``"AWSPREVIOUS"``.

    Returns:
        The value: a ``str`` for a string secret, ``bytes`` for a binary one.

    Raises:
        SecretNotFoundError: (a `LookupError`) naming the secret, if there is none.

    Example:
        ```python
        from cadenza import flow
        from cadenza_aws import AwsCredentials, aws_secrets_manager_get_secret

        @flow
        def connect() -> None:
            credentials = AwsCredentials.load("prod")
            password = aws_secrets_manager_get_secret("db-password", credentials)
            ...
        ```
    """
    from cadenza.blocks.core import secret_values

    from cadenza_aws._errors import translate

    kwargs = {"SecretId": secret_name}
    if version_id is not None:
        kwargs["VersionId"] = version_id
    if version_stage is not None:
        kwargs["VersionStage"] = version_stage
    get_run_logger().info("Reading secret %r from AWS Secrets Manager", secret_name)
    try:
        response = aws_credentials.get_secrets_manager_client().get_secret_value(**kwargs)
    except Exception as exc:
        raise translate(
            exc,
            operation="GetSecretValue",
            target=f"secret {secret_name!r}",
            secrets=secret_values(aws_credentials),
        ) from None
    value: str | bytes = (
        response["SecretString"] if "SecretString" in response else response["SecretBinary"]
    )
    masking.register(value)  # bytes that are UTF-8 text too
    return value


__all__ = ["aws_secrets_manager_get_secret"]
