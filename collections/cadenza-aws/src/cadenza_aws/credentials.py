"""`AwsCredentials`: the block every AWS block and task authenticates with.

Field and method names are prefect-aws's (``prefect_aws.credentials.AwsCredentials``), so a
Prefect flow ports by changing its imports. Every field is optional: what is left unset comes
from boto3's default credential chain (environment variables, ``~/.aws/credentials`` and
``~/.aws/config``, a container or instance role), exactly as ``boto3.Session()`` would find it.

boto3 is imported when a session or client is first asked for, never at import. Clients are
cached per process by service and configuration (boto3 clients are thread-safe), so tasks that
call `AwsCredentials.get_client` on every run do not pay for building one each time.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from cadenza import masking
from cadenza.blocks.core import Block, secret_values
from pydantic import Field, SecretStr, model_validator

from cadenza_aws.client_parameters import AwsClientParameters

if TYPE_CHECKING:
    import boto3

_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


class AwsCredentials(Block):
    """Credentials and client settings for AWS (or an S3-compatible service such as MinIO).

    Unset fields fall back to boto3's default credential chain. ``endpoint_url`` (or
    ``aws_client_parameters.endpoint_url``, as in prefect-aws) points clients at another service.
    """

    _block_type_slug = "aws-credentials"
    _block_type_name = "AWS Credentials"
    _logo_url = "https://cdn.simpleicons.org/amazonaws"
    _documentation_url = (
        "https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html"
    )

    aws_access_key_id: str | None = Field(
        default=None, description="The access key ID (default: from boto3's credential chain)."
    )
    aws_secret_access_key: SecretStr | None = Field(
        default=None, description="The secret access key that goes with aws_access_key_id."
    )
    aws_session_token: SecretStr | None = Field(
        default=None, description="A session token, for temporary credentials."
    )
    profile_name: str | None = Field(
        default=None, description="A profile of the shared AWS config/credentials files."
    )
    region_name: str | None = Field(
        default=None, description="The AWS region, e.g. us-east-1 (default: from the chain)."
    )
    endpoint_url: str | None = Field(
        default=None,
        description="The endpoint of an S3-compatible service, e.g. http://127.0.0.1:9000 "
        "(the same as aws_client_parameters.endpoint_url).",
    )
    aws_client_parameters: AwsClientParameters = Field(
        default_factory=AwsClientParameters,
        description="Extra arguments for boto3 clients: endpoint, TLS, botocore config.",
    )

    @model_validator(mode="after")
    def _one_endpoint(self) -> AwsCredentials:
        nested = self.aws_client_parameters.endpoint_url
        if self.endpoint_url and nested and self.endpoint_url != nested:
            raise ValueError(
                f"endpoint_url {self.endpoint_url!r} and aws_client_parameters.endpoint_url "
                f"{nested!r} differ; set one of them"
            )
        return self

    @property
    def effective_endpoint_url(self) -> str | None:
        """``endpoint_url``, else ``aws_client_parameters.endpoint_url``, else None (AWS)."""
        return self.endpoint_url or self.aws_client_parameters.endpoint_url

    # -- sessions and clients ----------------------------------------------------------------------
    def get_boto3_session(self) -> boto3.Session:
        """A new ``boto3.Session`` with these credentials (unset ones from the default chain).

        The secret values are registered for masking in run logs, saved block or not.
        """
        import boto3

        masking.register(*secret_values(self))
        return boto3.Session(
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=_plain(self.aws_secret_access_key),
            aws_session_token=_plain(self.aws_session_token),
            profile_name=self.profile_name,
            region_name=self.region_name,
        )

    def get_client(self, client_type: Any) -> Any:
        """A boto3 client for a service (``"s3"``, ``"secretsmanager"``, ... or an enum whose
        ``value`` is one), built with ``aws_client_parameters`` and ``endpoint_url``.

        Clients are cached per process for the same service and settings.
        """
        service = getattr(client_type, "value", client_type)
        if not isinstance(service, str) or not service:
            raise ValueError(f"client_type must be a service name such as 's3', got {service!r}")
        params = self.aws_client_parameters
        cache_key = (
            service,
            self.aws_access_key_id,
            _plain(self.aws_secret_access_key),
            _plain(self.aws_session_token),
            self.profile_name,
            self.region_name,
            self.effective_endpoint_url,
            params.model_dump_json(),
        )
        with _clients_lock:
            client = _clients.get(cache_key)
            if client is None:
                overrides = params.get_params_override()
                if self.effective_endpoint_url:
                    overrides["endpoint_url"] = self.effective_endpoint_url
                session = self.get_boto3_session()
                client = _clients[cache_key] = session.client(service, **overrides)
        return client

    def get_s3_client(self) -> Any:
        """A boto3 S3 client (``get_client("s3")``)."""
        return self.get_client("s3")

    def get_secrets_manager_client(self) -> Any:
        """A boto3 Secrets Manager client (``get_client("secretsmanager")``)."""
        return self.get_client("secretsmanager")

    # -- describing itself without secrets ---------------------------------------------------------
    def has_secrets(self) -> bool:
        """True if a secret key or session token is set on the block itself."""
        return self.aws_secret_access_key is not None or self.aws_session_token is not None

    def public_settings(self) -> dict[str, Any]:
        """The non-secret settings (profile, region, endpoint, client parameters) as a JSON
        dict: what a result reference may say about credentials that are not saved."""
        settings: dict[str, Any] = {
            "profile_name": self.profile_name,
            "region_name": self.region_name,
            "endpoint_url": self.effective_endpoint_url,
        }
        client_params = self.aws_client_parameters.model_dump(
            mode="json", exclude_defaults=True, exclude={"endpoint_url"}
        )
        if client_params:
            settings["aws_client_parameters"] = client_params
        return {k: v for k, v in settings.items() if v is not None}


def _plain(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def clear_client_cache() -> None:
    """Forget every cached boto3 client (after rotating keys in ``~/.aws``, say)."""
    with _clients_lock:
        _clients.clear()


__all__ = ["AwsClientParameters", "AwsCredentials", "clear_client_cache"]
