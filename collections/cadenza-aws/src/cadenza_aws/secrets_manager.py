"""`AwsSecret`: one AWS Secrets Manager secret as a block (prefect-aws's ``AwsSecret``).

``read_secret()``, ``write_secret()`` and ``delete_secret()`` have prefect-aws's signatures. The
block holds the secret's *name* and the credentials, not its value; values read are registered
for masking, so they show as ``********`` if they reach a run log. The prebuilt task
``aws_secrets_manager_get_secret`` (`cadenza_aws.secrets_manager_tasks`) is importable from here
too, also as ``read_secret``, prefect-aws's name for it.
"""

from __future__ import annotations

from typing import Any

from cadenza import masking
from cadenza.blocks.core import Block, secret_values
from pydantic import Field

from cadenza_aws._errors import translate
from cadenza_aws.credentials import AwsCredentials
from cadenza_aws.secrets_manager_tasks import aws_secrets_manager_get_secret

read_secret = aws_secrets_manager_get_secret
"""prefect-aws's name for the task (``prefect_aws.secrets_manager.read_secret``)."""


class AwsSecret(Block):
    """A secret stored in AWS Secrets Manager, by name, with the credentials to reach it."""

    _block_type_slug = "aws-secret"
    _block_type_name = "AWS Secret"
    _logo_url = "https://cdn.simpleicons.org/amazonaws"
    _documentation_url = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/intro.html"

    aws_credentials: AwsCredentials = Field(
        default_factory=AwsCredentials,
        description="The credentials to reach Secrets Manager with (default: boto3's chain).",
    )
    secret_name: str = Field(description="The name (or ARN) of the secret in Secrets Manager.")

    def _client(self) -> Any:
        return self.aws_credentials.get_secrets_manager_client()

    def _error(self, exc: BaseException, operation: str) -> Exception:
        return translate(
            exc,
            operation=operation,
            target=f"secret {self.secret_name!r}",
            secrets=secret_values(self.aws_credentials),
        )

    def read_secret(
        self, version_id: str | None = None, version_stage: str | None = None, **read_kwargs: Any
    ) -> bytes:
        """The secret's value as bytes (a string secret is UTF-8 encoded).

        Args:
            version_id: A version's id (default: the current version).
            version_stage: A staging label, e.g. ``"AWSPREVIOUS"``.
            **read_kwargs: More arguments for boto3's ``get_secret_value``.

        Raises:
            SecretNotFoundError: (a `LookupError`) naming the secret, if there is none.
        """
        if version_id is not None:
            read_kwargs["VersionId"] = version_id
        if version_stage is not None:
            read_kwargs["VersionStage"] = version_stage
        try:
            response = self._client().get_secret_value(SecretId=self.secret_name, **read_kwargs)
        except Exception as exc:
            raise self._error(exc, "GetSecretValue") from None
        value = response.get("SecretBinary")
        if value is None:
            value = response["SecretString"].encode("utf-8")
        masking.register(value)
        return bytes(value)

    def write_secret(self, secret: bytes | str, **put_or_create_secret_kwargs: Any) -> str:
        """Store a new value: a new version of the secret, or the secret itself if it does not
        exist yet. ``bytes`` are stored as ``SecretBinary``, ``str`` as ``SecretString``.
        Returns the secret's ARN."""
        if isinstance(secret, str):
            value: dict[str, Any] = {"SecretString": secret}
        elif isinstance(secret, (bytes, bytearray)):
            value = {"SecretBinary": bytes(secret)}
        else:
            raise TypeError(f"write_secret() needs bytes or str, got {type(secret).__name__}")
        masking.register(secret)
        client = self._client()
        try:
            response = client.put_secret_value(
                SecretId=self.secret_name, **value, **put_or_create_secret_kwargs
            )
        except Exception as exc:
            error = self._error(exc, "PutSecretValue")
            if not isinstance(error, LookupError):
                raise error from None
            try:
                response = client.create_secret(
                    Name=self.secret_name, **value, **put_or_create_secret_kwargs
                )
            except Exception as exc2:
                raise self._error(exc2, "CreateSecret") from None
        return str(response["ARN"])

    def delete_secret(
        self,
        recovery_window_in_days: int = 30,
        force_delete_without_recovery: bool = False,
        **delete_kwargs: Any,
    ) -> str:
        """Delete the secret: recoverable for ``recovery_window_in_days`` (7-30), or at once
        with ``force_delete_without_recovery=True``. Returns its ARN."""
        if force_delete_without_recovery and recovery_window_in_days != 30:
            raise ValueError(
                "Give either recovery_window_in_days or force_delete_without_recovery, not both"
            )
        if not 7 <= recovery_window_in_days <= 30:
            raise ValueError(
                f"recovery_window_in_days must be 7 to 30, got {recovery_window_in_days}"
            )
        if force_delete_without_recovery:
            delete_kwargs["ForceDeleteWithoutRecovery"] = True
        else:
            delete_kwargs["RecoveryWindowInDays"] = recovery_window_in_days
        try:
            response = self._client().delete_secret(SecretId=self.secret_name, **delete_kwargs)
        except Exception as exc:
            raise self._error(exc, "DeleteSecret") from None
        return str(response["ARN"])


__all__ = ["AwsSecret", "aws_secrets_manager_get_secret", "read_secret"]
