"""`AwsClientParameters`: how boto3 clients are built (endpoint, TLS, botocore config).

The same model as prefect-aws's ``prefect_aws.client_parameters.AwsClientParameters``; it is a
field of `cadenza_aws.credentials.AwsCredentials` and an optional argument of the S3 tasks.
Nothing in it is secret.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AwsClientParameters(BaseModel):
    """Extra arguments for ``boto3.Session.client(...)``: ``endpoint_url`` for an S3-compatible
    service (MinIO, moto, LocalStack), TLS options, and a botocore ``Config`` as a dict."""

    model_config = ConfigDict(extra="forbid")

    api_version: str | None = Field(
        default=None, description="The API version of the service to use (default: latest)."
    )
    use_ssl: bool = Field(default=True, description="Whether to use TLS.")
    verify: bool | None = Field(
        default=None,
        description="Whether to verify TLS certificates (default: yes; see verify_cert_path).",
    )
    verify_cert_path: str | None = Field(
        default=None, description="A CA bundle file to verify TLS certificates with."
    )
    endpoint_url: str | None = Field(
        default=None,
        description="The endpoint to send requests to instead of AWS, e.g. http://127.0.0.1:9000.",
    )
    config: dict[str, Any] | None = Field(
        default=None,
        description="Keyword arguments for botocore.config.Config, e.g. "
        '{"retries": {"max_attempts": 3}, "signature_version": "s3v4"}.',
    )

    def get_params_override(self) -> dict[str, Any]:
        """The keyword arguments these parameters add to ``session.client(service, ...)``."""
        params: dict[str, Any] = {"use_ssl": self.use_ssl}
        if self.api_version is not None:
            params["api_version"] = self.api_version
        if self.verify_cert_path is not None:
            params["verify"] = self.verify_cert_path
        elif self.verify is not None:
            params["verify"] = self.verify
        if self.endpoint_url is not None:
            params["endpoint_url"] = self.endpoint_url
        if self.config:
            from botocore.config import Config

            params["config"] = Config(**self.config)
        return params


__all__ = ["AwsClientParameters"]
