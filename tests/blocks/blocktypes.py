"""Block types used by the block tests (a plain module, so tests and conftest can import it)."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr

from cadenza.blocks.core import Block
from cadenza.blocks.fields import SecretDict


class Endpoint(BaseModel):
    """A nested model with a secret of its own."""

    url: str
    token: SecretStr
    retries: int = 3


class ServiceCredentials(Block):
    """Credentials for a test service: every kind of field the block system handles."""

    _block_type_slug = "service-credentials"
    _logo_url = "https://example.invalid/logo.png"

    username: str
    password: SecretStr
    headers: SecretDict = SecretDict({})
    endpoint: Endpoint
    mirrors: list[Endpoint] = []
    region: str | None = None


SECRETS = (
    "pa55word-secret",
    "header-secret-value",
    "json-secret",
    "nested-token-secret",
    "mirror-token-secret",
)
