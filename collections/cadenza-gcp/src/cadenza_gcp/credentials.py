"""`GcpCredentials`: how cadenza-gcp authenticates to Google Cloud (as prefect-gcp's block).

One of four sources, checked in this order:

1. ``anonymous=True`` — no credentials at all: emulators and public buckets;
2. ``service_account_info`` — the service account's JSON key as a dict (or JSON string), a
   secret: encrypted when the block is saved, never shown, masked in run logs;
3. ``service_account_file`` — the path of that JSON key file on the machine that runs the flow;
4. none of these — Google's default credential chain (``GOOGLE_APPLICATION_CREDENTIALS``,
   ``gcloud auth application-default login``, the metadata server on Google Cloud).

``api_endpoint`` points the clients at another endpoint, such as a Cloud Storage emulator
(``http://127.0.0.1:9023``); unset, the SDK's default (which honours ``STORAGE_EMULATOR_HOST``).

The Google SDK is imported only when a client or credentials object is built.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cadenza.blocks.core import Block
from cadenza.blocks.fields import SecretDict
from pydantic import ConfigDict, Field, field_validator, model_validator

from cadenza_gcp.exceptions import GcpCredentialsError

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.cloud.storage import Client as StorageClient

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
"""The OAuth scopes requested for service account credentials."""

REQUIRED_KEYS = ("client_email", "private_key", "token_uri")
"""The entries of a service account key that google-auth needs."""


class GcpCredentials(Block):
    """Credentials and project for Google Cloud clients.

    Example:
        ```python
        from cadenza_gcp import GcpCredentials

        GcpCredentials(service_account_file="~/keys/etl.json", project="acme").save("prod")
        client = GcpCredentials.load("prod").get_cloud_storage_client()
        ```
    """

    # Validation errors never echo their input: it may be a private key.
    model_config = ConfigDict(hide_input_in_errors=True)

    _block_type_slug = "gcp-credentials"
    _block_type_name = "GCP Credentials"
    _logo_url = "https://cdn.simpleicons.org/googlecloud"
    _documentation_url = "https://cadenza.dev/collections/gcp/"

    service_account_file: Path | None = Field(
        default=None,
        description="Path to the service account JSON key file (on the machine that runs the "
        "flow); `~` is expanded.",
    )
    service_account_info: SecretDict | None = Field(
        default=None,
        description="The service account JSON key, as a dict or a JSON string (secret).",
    )
    project: str | None = Field(
        default=None,
        description="The Google Cloud project; default: the key's or the environment's.",
    )
    anonymous: bool = Field(
        default=False,
        description="Use no credentials at all (emulators, public buckets).",
    )
    api_endpoint: str | None = Field(
        default=None,
        description="API endpoint for the clients, e.g. `http://127.0.0.1:9023` for a Cloud "
        "Storage emulator; default: Google's (or STORAGE_EMULATOR_HOST when set).",
    )

    # -- validation -----------------------------------------------------------------------------
    @field_validator("service_account_file", mode="before")
    @classmethod
    def _expand_user(cls, value: Any) -> Any:
        if isinstance(value, (str, os.PathLike)):
            return Path(value).expanduser()
        return value

    @field_validator("service_account_info", mode="before")
    @classmethod
    def _parse_and_check_info(cls, value: Any) -> Any:
        if isinstance(value, SecretDict):
            value = value.get_secret_value()
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(
                    "service_account_info is a string but not valid JSON; give the key file's "
                    "JSON content or a dict"
                ) from None
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError(
                f"service_account_info must be a dict (the key file's JSON), got "
                f"{type(value).__name__}"
            )
        missing = [key for key in REQUIRED_KEYS if not value.get(key)]
        if missing:
            raise ValueError(
                f"service_account_info is not a service account key: missing "
                f"{', '.join(missing)} (download a JSON key for the service account)"
            )
        key = value["private_key"]
        if not isinstance(key, str) or "-----BEGIN" not in key or "PRIVATE KEY-----" not in key:
            raise ValueError("service_account_info's private_key is not a PEM-encoded private key")
        return SecretDict(value)

    @field_validator("api_endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("api_endpoint must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _one_source(self) -> GcpCredentials:
        given = [
            name
            for name, on in (
                ("service_account_info", self.service_account_info is not None),
                ("service_account_file", self.service_account_file is not None),
                ("anonymous", self.anonymous),
            )
            if on
        ]
        if len(given) > 1:
            raise ValueError(f"Give only one credentials source, not {' and '.join(given)}")
        return self

    # -- building SDK objects -------------------------------------------------------------------
    @property
    def uses_default_credentials(self) -> bool:
        """True when no source is configured: Google's default credential chain applies."""
        return not (self.anonymous or self.service_account_info or self.service_account_file)

    def get_credentials_from_service_account(self) -> Credentials:
        """A ``google.auth`` credentials object for the configured source.

        Raises:
            GcpCredentialsError: the key is malformed, the key file is missing or malformed,
                or (default chain) no credentials are found in the environment. The message
                names the problem and never repeats the key.
        """
        if self.anonymous:
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()
        if self.service_account_info is not None:
            return _from_info(self.service_account_info.get_secret_value())
        if self.service_account_file is not None:
            return _from_file(self.service_account_file)
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            credentials, _ = google.auth.default(scopes=list(SCOPES))
        except DefaultCredentialsError:
            raise GcpCredentialsError(
                "No credentials were given and none were found in the environment "
                "(GOOGLE_APPLICATION_CREDENTIALS, gcloud, metadata server); set "
                "service_account_info or service_account_file"
            ) from None
        return credentials

    def get_cloud_storage_client(self, project: str | None = None) -> StorageClient:
        """A ``google.cloud.storage.Client`` with these credentials (prefect-gcp's name).

        Args:
            project: the project to bill and create buckets in; default `project`.

        Returns:
            A new storage client.
        """
        from google.cloud import storage

        kwargs: dict[str, Any] = {}
        if self.api_endpoint:
            kwargs["client_options"] = {"api_endpoint": self.api_endpoint}
        project = project or self.project
        if project:
            kwargs["project"] = project
        elif self.anonymous:
            kwargs["project"] = None  # explicit None: do not look for a project
        if not self.uses_default_credentials:
            kwargs["credentials"] = self.get_credentials_from_service_account()
        # Default chain: the SDK finds credentials itself (and uses none for an emulator set
        # with STORAGE_EMULATOR_HOST).
        return storage.Client(**kwargs)

    get_storage_client = get_cloud_storage_client  # type: ignore[pydantic-field]  # a method alias
    """Alias of `get_cloud_storage_client`."""

    def get_access_token(self) -> str:
        """A fresh OAuth access token for these credentials (prefect-gcp's name)."""
        from google.auth.transport.requests import Request

        credentials = self.get_credentials_from_service_account()
        credentials.refresh(Request())
        token = credentials.token
        if token is None:  # google-auth types it optional: unset until a refresh succeeds
            raise GcpCredentialsError("Refreshing the credentials gave no access token")
        return str(token)

    def non_secret_fields(self) -> dict[str, Any]:
        """The fields that are safe to store in clear text (everything but the key)."""
        file = self.service_account_file
        return {
            "project": self.project,
            "anonymous": self.anonymous,
            "api_endpoint": self.api_endpoint,
            "service_account_file": str(file) if file is not None else None,
        }


def _from_info(info: dict[str, Any]) -> Credentials:
    from google.oauth2 import service_account

    try:
        credentials: Credentials = service_account.Credentials.from_service_account_info(
            info, scopes=list(SCOPES)
        )  # google.oauth2 leaves this classmethod unannotated
        return credentials
    except Exception:
        # Never chain or repeat the SDK's error: it is about the key's content.
        raise GcpCredentialsError(
            "service_account_info could not be loaded as a service account key: its "
            "private_key is not a valid PEM-encoded RSA private key, or an entry is malformed "
            "(download a new JSON key for the service account)"
        ) from None


def _from_file(path: Path) -> Credentials:
    from google.oauth2 import service_account

    if not path.is_file():
        raise GcpCredentialsError(f"service_account_file {str(path)!r} does not exist")
    try:
        credentials: Credentials = service_account.Credentials.from_service_account_file(
            str(path), scopes=list(SCOPES)
        )  # google.oauth2 leaves this classmethod unannotated
        return credentials
    except Exception:
        raise GcpCredentialsError(
            f"service_account_file {str(path)!r} is not a valid service account JSON key"
        ) from None


__all__ = ["SCOPES", "GcpCredentials"]
