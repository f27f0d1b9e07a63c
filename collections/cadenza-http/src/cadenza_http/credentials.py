"""`HttpCredentials`: a base URL and how to authenticate to an HTTP API.

Save one once, load it by name in any flow:

    HttpCredentials(base_url="https://api.example.com/v1", token="...").save("example-api")
    http_get_json("/users", credentials=HttpCredentials.load("example-api"))

One way of authenticating at most: a bearer ``token`` (``Authorization: Bearer ...``), a
``username`` and ``password`` (HTTP Basic), or an ``api_key`` sent in the ``api_key_header``
(``X-API-Key`` unless set) — or none, for a public API. The secrets are `SecretStr`: encrypted
at rest, masked in ``repr``, JSON, the CLI, run logs and cadenza-http's error messages.

`get_client` gives an ``httpx.Client`` with the base URL and the authentication already set, for
calls the prebuilt tasks do not cover. httpx is imported there, never when the block is loaded.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cadenza import masking
from cadenza.blocks.core import Block, secret_values
from pydantic import Field, SecretStr, field_validator, model_validator

if TYPE_CHECKING:
    import httpx

# set on a request's extensions by the first request hook: the origin the credentials are for
_ORIGIN_KEY = "cadenza_http.origin"


class HttpCredentials(Block):
    """The base URL of an HTTP API and its credentials (bearer token, Basic or API key)."""

    _block_type_slug = "http-credentials"
    _block_type_name = "HTTP Credentials"
    _documentation_url = "docs/collections/http.md"

    base_url: str | None = Field(
        default=None,
        description="The API's base URL, e.g. https://api.example.com/v1; relative URLs given "
        "to the tasks are resolved against it.",
    )
    token: SecretStr | None = Field(
        default=None, description="A bearer token, sent as 'Authorization: Bearer <token>'."
    )
    token_scheme: str = Field(
        default="Bearer", description="The scheme the token is sent with (e.g. 'Token')."
    )
    username: str | None = Field(default=None, description="The user name for HTTP Basic auth.")
    password: SecretStr | None = Field(
        default=None, description="The password for HTTP Basic auth, stored encrypted."
    )
    api_key: SecretStr | None = Field(
        default=None, description="An API key, sent in the header named by api_key_header."
    )
    api_key_header: str = Field(
        default="X-API-Key", description="The header the API key is sent in."
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description="More headers sent with every request (not secret)."
    )
    verify: bool = Field(default=True, description="Verify the server's TLS certificate.")
    timeout: float = Field(
        default=30.0, gt=0, le=3600, description="Seconds to wait for the server (get_client)."
    )

    @field_validator("base_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {value!r}")
        if parts.username or parts.password:
            raise ValueError("base_url must not hold credentials: set username and password")
        return value

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> HttpCredentials:
        if self.password is not None and not self.username:
            raise ValueError("password is set without username: HTTP Basic needs both")
        modes = [name for name in ("token", "username", "api_key") if getattr(self, name)]
        if len(modes) > 1:
            raise ValueError(f"set one way of authenticating, not {' and '.join(modes)}")
        return self

    @property
    def auth_mode(self) -> str | None:
        """``"bearer"``, ``"basic"``, ``"api_key"`` or None (no authentication)."""
        if self.token is not None:
            return "bearer"
        if self.username:
            return "basic"
        if self.api_key is not None:
            return "api_key"
        return None

    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate a request (the one place the secrets are read).

        The secret values are registered for masking in run logs, saved block or not.
        """
        masking.register(*secret_values(self))
        mode = self.auth_mode
        if mode == "bearer":
            assert self.token is not None
            return {"Authorization": f"{self.token_scheme} {self.token.get_secret_value()}"}
        if mode == "basic":
            password = self.password.get_secret_value() if self.password else ""
            pair = f"{self.username}:{password}".encode()
            return {"Authorization": f"Basic {base64.b64encode(pair).decode('ascii')}"}
        if mode == "api_key":
            assert self.api_key is not None
            return {self.api_key_header: self.api_key.get_secret_value()}
        return {}

    def secret_strings(self) -> list[str]:
        """Every secret value of the block and what is derived from it (the Basic header), to
        scrub from messages. Never log what it returns."""
        found = [v for v in secret_values(self) if v]
        found += [v.split(" ", 1)[-1] for v in self.auth_headers().values()]
        return found

    def _client_options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        headers = {**self.headers, **self.auth_headers(), **dict(kwargs.pop("headers", None) or {})}
        options: dict[str, Any] = {
            "headers": headers,
            "timeout": self.timeout,
            "verify": self.verify,
            "follow_redirects": True,
        }
        if self.base_url:
            options["base_url"] = self.base_url
        options.update(kwargs)
        return options

    def get_client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` with the base URL, the authentication headers, the timeout and
        TLS verification set (keyword arguments override them); close it, or use it in a
        ``with`` block. Redirects are followed; a redirect to another origin drops the
        credentials."""
        # lazily: httpx loads when a client is asked for, not when the block is loaded
        import httpx

        options = self._client_options(kwargs)
        hooks = options.pop("event_hooks", None) or {}
        strip = _credential_stripper(self)
        hooks = {**hooks, "request": [strip, *hooks.get("request", [])]}
        return httpx.Client(event_hooks=hooks, **options)

    def get_async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` twin of `get_client`."""
        # lazily: httpx loads when a client is asked for, not when the block is loaded
        import httpx

        options = self._client_options(kwargs)
        hooks = options.pop("event_hooks", None) or {}
        strip = _credential_stripper(self)

        async def async_strip(request: httpx.Request) -> None:
            strip(request)

        hooks = {**hooks, "request": [async_strip, *hooks.get("request", [])]}
        return httpx.AsyncClient(event_hooks=hooks, **options)


def origin(url: Any) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port made explicit."""
    parts = urlsplit(str(url))
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _credential_stripper(credentials: HttpCredentials) -> Any:
    """A request hook: the credentials' headers go only to the origin of the first request of
    a redirect chain (httpx drops ``Authorization`` itself; this drops the API key too)."""
    names = [name.lower() for name in credentials.auth_headers()]

    def strip(request: httpx.Request) -> None:
        here = origin(request.url)
        first = request.extensions.setdefault(_ORIGIN_KEY, here)
        if first != here:
            for name in names:
                request.headers.pop(name, None)

    return strip


__all__ = ["HttpCredentials"]
