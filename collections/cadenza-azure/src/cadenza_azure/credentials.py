"""`AzureBlobStorageCredentials`: how cadenza-azure authenticates to Azure Blob Storage (as
prefect-azure's block of that name).

One of these sources, checked in this order:

1. ``connection_string`` — the storage account's connection string (a secret);
2. ``account_url`` with ``account_key`` — the account's shared key (a secret);
3. ``account_url`` with ``sas_token`` — a shared access signature (a secret);
4. ``account_url`` alone — Azure AD through ``azure.identity.DefaultAzureCredential`` (install
   ``azure-identity``), as prefect-azure does;
5. nothing — the ``AZURE_STORAGE_CONNECTION_STRING`` environment variable of the process that
   makes the request (the variable Azure's own tools read).

Secrets are `SecretStr` fields: encrypted when the block is saved, never shown in ``repr``, JSON
or errors, masked in run logs. ``max_retries``, ``connection_timeout`` and ``read_timeout`` set
how long a request may take before it fails with an error naming the endpoint.

The Azure SDK is imported only when a client is built.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cadenza.blocks.core import Block
from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from cadenza_azure.exceptions import AzureCredentialsError

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, BlobServiceClient, ContainerClient

ENVIRONMENT_VARIABLE = "AZURE_STORAGE_CONNECTION_STRING"
"""Read when no source is configured on the block."""

DEVELOPMENT_STORAGE_URL = "http://127.0.0.1:10000/devstoreaccount1"
"""The account URL of ``UseDevelopmentStorage=true`` (Azurite on its default port)."""


class AzureBlobStorageCredentials(Block):
    """Credentials (and request limits) for an Azure storage account's Blob service.

    Example:
        ```python
        from cadenza_azure import AzureBlobStorageCredentials

        AzureBlobStorageCredentials(
            account_url="https://acme.blob.core.windows.net",
            account_key="<the account key>",
        ).save("prod")
        client = AzureBlobStorageCredentials.load("prod").get_client()
        ```
    """

    # Validation errors never echo their input: it may be a key.
    model_config = ConfigDict(hide_input_in_errors=True)

    _block_type_slug = "azure-blob-storage-credentials"
    _block_type_name = "Azure Blob Storage Credentials"
    _logo_url = "https://cdn.simpleicons.org/microsoftazure"
    _documentation_url = "https://cadenza.dev/collections/azure/"

    connection_string: SecretStr | None = Field(
        default=None,
        description="The storage account's connection string (secret); takes the place of "
        "account_url.",
    )
    account_url: str | None = Field(
        default=None,
        title="Account URL",
        description="The Blob service URL, e.g. `https://ACCOUNT.blob.core.windows.net` or "
        "`http://127.0.0.1:10000/devstoreaccount1` for Azurite.",
    )
    account_name: str | None = Field(
        default=None,
        description="The storage account's name, for account_key; default: taken from account_url.",
    )
    account_key: SecretStr | None = Field(
        default=None, description="The storage account's access key (secret)."
    )
    sas_token: SecretStr | None = Field(
        default=None, title="SAS token", description="A shared access signature (secret)."
    )
    max_retries: int = Field(
        default=3, ge=0, description="How often a failed request is retried (with backoff)."
    )
    connection_timeout: float = Field(
        default=20, gt=0, description="Seconds to wait for a connection to the endpoint."
    )
    read_timeout: float = Field(
        default=60, gt=0, description="Seconds to wait for data from the endpoint."
    )

    # -- validation -----------------------------------------------------------------------------
    @field_validator("account_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("account_url must start with http:// or https://")
        if "?" in value:
            raise ValueError(
                "account_url must not carry a query: give a SAS token as sas_token, which is "
                "kept secret"
            )
        return value.rstrip("/")

    @field_validator("sas_token")
    @classmethod
    def _strip_question_mark(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().lstrip("?")
        if "sig=" not in token:
            raise ValueError("sas_token is not a shared access signature (it has no sig=)")
        return SecretStr(token)

    @field_validator("account_key")
    @classmethod
    def _check_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _check_base64(value.get_secret_value(), "account_key")
        return value

    @field_validator("connection_string")
    @classmethod
    def _check_connection_string(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parsed = parse_connection_string(value.get_secret_value())
            if "AccountKey" in parsed:
                _check_base64(parsed["AccountKey"], "the connection string's AccountKey")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> AzureBlobStorageCredentials:
        if self.connection_string is not None and self.account_url is not None:
            raise ValueError(
                "Give either a connection string or an account URL, not both (the connection "
                "string names its endpoint)"
            )
        secrets = [n for n in ("account_key", "sas_token") if getattr(self, n) is not None]
        if len(secrets) > 1:
            raise ValueError("Give either account_key or sas_token, not both")
        if secrets and self.account_url is None:
            raise ValueError(f"{secrets[0]} needs account_url (the Blob service URL)")
        return self

    # -- what the credentials are ---------------------------------------------------------------
    @property
    def source(self) -> str:
        """``"connection_string"``, ``"account_key"``, ``"sas_token"``, ``"default_credential"``
        (account_url alone) or ``"environment"`` (nothing set)."""
        if self.connection_string is not None:
            return "connection_string"
        if self.account_key is not None:
            return "account_key"
        if self.sas_token is not None:
            return "sas_token"
        return "default_credential" if self.account_url else "environment"

    @property
    def endpoint(self) -> str:
        """The Blob service URL requests go to (no secret in it), for messages and links."""
        if self.account_url is not None:
            return self.account_url
        text = self._connection_string_or_none()
        if text is None:
            return f"(${ENVIRONMENT_VARIABLE} is not set)"
        return endpoint_of(parse_connection_string(text))

    def has_secrets(self) -> bool:
        """Whether a secret field is set."""
        return any(
            getattr(self, name) is not None
            for name in ("connection_string", "account_key", "sas_token")
        )

    def non_secret_fields(self) -> dict[str, Any]:
        """The fields that are safe to store in clear text."""
        return {
            "account_url": self.account_url,
            "account_name": self.account_name,
            "max_retries": self.max_retries,
            "connection_timeout": self.connection_timeout,
            "read_timeout": self.read_timeout,
        }

    # -- building SDK clients -------------------------------------------------------------------
    def get_client(self) -> BlobServiceClient:
        """A (synchronous) ``azure.storage.blob.BlobServiceClient`` for these credentials.

        Raises:
            AzureCredentialsError: no source is configured and ``AZURE_STORAGE_CONNECTION_STRING``
                is not set, or ``account_url`` alone needs ``azure-identity``. The message
                never contains a secret.
        """
        from azure.storage.blob import BlobServiceClient

        options = self._client_options()
        text = self._connection_string_or_none()
        if text is not None:
            try:
                return BlobServiceClient.from_connection_string(text, **options)
            except ValueError:
                raise AzureCredentialsError(
                    "The connection string is not valid: it needs AccountName and AccountKey "
                    "(or SharedAccessSignature) and an endpoint (BlobEndpoint, or "
                    "DefaultEndpointsProtocol and EndpointSuffix)"
                ) from None
        assert self.account_url is not None  # _connection_string_or_none raised otherwise
        return BlobServiceClient(self.account_url, credential=self._credential(), **options)

    def get_container_client(self, container: str) -> ContainerClient:
        """A ``ContainerClient`` for ``container`` (prefect-azure's name; no request is made)."""
        return self.get_client().get_container_client(container)

    def get_blob_client(self, container: str, blob: str) -> BlobClient:
        """A ``BlobClient`` for ``blob`` in ``container`` (prefect-azure's name)."""
        return self.get_client().get_blob_client(container, blob)

    def _connection_string_or_none(self) -> str | None:
        if self.connection_string is not None:
            return self.connection_string.get_secret_value()
        if self.account_url is not None:
            return None
        text = os.environ.get(ENVIRONMENT_VARIABLE)
        if not text:
            raise AzureCredentialsError(
                "No Azure credentials: set connection_string, or account_url with account_key "
                f"or sas_token, on AzureBlobStorageCredentials, or set {ENVIRONMENT_VARIABLE}"
            )
        parse_connection_string(text, origin=ENVIRONMENT_VARIABLE)
        return text

    def _credential(self) -> Any:
        if self.account_key is not None:
            name = self.account_name or account_name_of(self.account_url or "")
            if not name:
                raise AzureCredentialsError(
                    f"Cannot tell the account name from account_url {self.account_url!r}: set "
                    "account_name"
                )
            return {"account_name": name, "account_key": self.account_key.get_secret_value()}
        if self.sas_token is not None:
            return self.sas_token.get_secret_value()
        try:
            # an optional dependency, not installed with cadenza-azure (nor typed for mypy)
            identity = importlib.import_module("azure.identity")
        except ImportError:
            raise AzureCredentialsError(
                "account_url without account_key or sas_token authenticates with Azure AD "
                "(DefaultAzureCredential), which needs `pip install azure-identity`"
            ) from None
        return identity.DefaultAzureCredential()

    def _client_options(self) -> dict[str, Any]:
        from azure.storage.blob import ExponentialRetry

        # The SDK's default retries 10 times from a 15 s backoff: minutes before an
        # unreachable endpoint is reported. Back off 1 s, 3 s, 5 s ... instead.
        retry = ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=self.max_retries)
        return {
            "retry_policy": retry,
            "connection_timeout": self.connection_timeout,
            "read_timeout": self.read_timeout,
        }


def parse_connection_string(text: str, origin: str = "connection_string") -> dict[str, str]:
    """The ``Key=Value`` pairs of a connection string; `AzureCredentialsError` (which never
    repeats the string) if it is not one."""
    pairs: dict[str, str] = {}
    for part in text.strip().split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip().isalpha():
            raise AzureCredentialsError(
                f"{origin} is not a connection string: it must be Key=Value pairs separated by "
                "';' (copy it from the storage account's Access keys page)"
            )
        pairs[key.strip()] = value.strip()
    if not pairs:
        raise AzureCredentialsError(f"{origin} is empty")
    return pairs


def endpoint_of(pairs: dict[str, str]) -> str:
    """The Blob service URL a parsed connection string points at."""
    if pairs.get("UseDevelopmentStorage", "").lower() == "true":
        return DEVELOPMENT_STORAGE_URL
    if pairs.get("BlobEndpoint"):
        return pairs["BlobEndpoint"].split("?", 1)[0].rstrip("/")
    protocol = pairs.get("DefaultEndpointsProtocol", "https")
    suffix = pairs.get("EndpointSuffix", "core.windows.net")
    return f"{protocol}://{pairs.get('AccountName', '?')}.blob.{suffix}"


def account_name_of(url: str) -> str | None:
    """The account name in a Blob service URL: the host's first label
    (``acme.blob.core.windows.net``), or the first path segment for an IP address or
    ``localhost`` (Azurite's ``http://127.0.0.1:10000/devstoreaccount1``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "localhost" or host.replace(".", "").isdigit() or ":" in host:
        segment = parts.path.strip("/").split("/", 1)[0]
        return segment or None
    return host.split(".", 1)[0] or None


def _check_base64(value: str, what: str) -> None:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not a base64 account key") from None


__all__ = [
    "DEVELOPMENT_STORAGE_URL",
    "ENVIRONMENT_VARIABLE",
    "AzureBlobStorageCredentials",
    "account_name_of",
    "endpoint_of",
    "parse_connection_string",
]
