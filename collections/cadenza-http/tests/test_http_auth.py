"""`HttpCredentials`: each way of authenticating reaches a real server as the header the API
expects; the block refuses ambiguous settings; `get_client` is a ready httpx client; the
credentials never go to another origin."""

from __future__ import annotations

import base64
import json
import re

import pytest
from cadenza import flow
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cadenza_http import HttpCredentials, http_get_json, http_request


def _echo_headers(request: Request) -> Response:
    """The request's headers as JSON, names lower-case."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    return Response(json.dumps(headers), content_type="application/json")


@pytest.fixture
def echo(httpserver: HTTPServer) -> HTTPServer:
    """Every request to /v1/whoami answers with the headers it came with, as JSON."""
    httpserver.expect_request("/v1/whoami").respond_with_handler(_echo_headers)
    return httpserver


def _base(server: HTTPServer) -> str:
    return server.url_for("/v1")


def test_a_bearer_token_is_sent_as_authorization_bearer(echo: HTTPServer) -> None:
    creds = HttpCredentials(base_url=_base(echo), token="bearer-token-1")

    @flow
    def whoami() -> dict[str, str]:
        return http_get_json("whoami", credentials=creds)

    received = whoami()
    assert received["authorization"] == "Bearer bearer-token-1"
    assert received["accept"] == "application/json"


def test_a_token_scheme_other_than_bearer(echo: HTTPServer) -> None:
    creds = HttpCredentials(base_url=_base(echo), token="gh-token-2", token_scheme="token")
    response = http_request.fn("GET", "/whoami", credentials=creds)
    assert response.json()["authorization"] == "token gh-token-2"


def test_basic_auth_sends_the_user_and_password(echo: HTTPServer) -> None:
    creds = HttpCredentials(base_url=_base(echo), username="etl", password="pässword-3")

    @flow
    def whoami() -> dict[str, str]:
        return http_get_json("whoami", credentials=creds)

    scheme, encoded = whoami()["authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "etl:pässword-3"


@pytest.mark.parametrize("header", ["X-API-Key", "X-Custom-Key"])
def test_an_api_key_is_sent_in_its_header(echo: HTTPServer, header: str) -> None:
    creds = HttpCredentials(base_url=_base(echo), api_key="api-key-4", api_key_header=header)

    @flow
    def whoami() -> dict[str, str]:
        return http_get_json("whoami", credentials=creds)

    received = whoami()
    assert received[header.lower()] == "api-key-4"
    assert "authorization" not in received


def test_no_authentication_and_extra_headers(echo: HTTPServer) -> None:
    creds = HttpCredentials(base_url=_base(echo), headers={"User-Agent": "etl/1.0"})
    received = http_request.fn("GET", "whoami", credentials=creds).json()
    assert received["user-agent"] == "etl/1.0"
    assert "authorization" not in received


def test_a_saved_block_authenticates_after_loading(echo: HTTPServer) -> None:
    HttpCredentials(base_url=_base(echo), token="saved-token-5").save("api")

    @flow
    def whoami() -> dict[str, str]:
        return http_get_json("whoami", credentials=HttpCredentials.load("api"))

    assert whoami()["authorization"] == "Bearer saved-token-5"


def test_get_client_is_an_httpx_client_with_base_url_and_auth(echo: HTTPServer) -> None:
    creds = HttpCredentials(base_url=_base(echo), api_key="client-key-6")
    with creds.get_client() as client:
        answer = client.get("whoami")
    assert answer.status_code == 200
    assert answer.json()["x-api-key"] == "client-key-6"


async def _async_get(creds: HttpCredentials) -> dict[str, str]:
    async with creds.get_async_client() as client:
        answer = await client.get("whoami")
        return dict(answer.json())


def test_get_async_client_too(echo: HTTPServer) -> None:
    import asyncio

    creds = HttpCredentials(base_url=_base(echo), token="async-token-7")
    assert asyncio.run(_async_get(creds))["authorization"] == "Bearer async-token-7"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"token": "t-1234", "api_key": "k-1234"}, "set one way of authenticating"),
        ({"username": "u", "token": "t-1234"}, "set one way of authenticating"),
        ({"password": "p-1234"}, "password is set without username"),
        ({"base_url": "api.example.com"}, "base_url must be an absolute http(s) URL"),
        ({"base_url": "https://u:p@api.example.com"}, "must not hold credentials"),
    ],
)
def test_the_block_refuses_ambiguous_settings(fields: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(problem)) as info:
        HttpCredentials(**fields)  # type: ignore[arg-type]  # str for SecretStr
    assert "1234" not in str(info.value)  # the values given are not echoed


def test_credentials_are_not_sent_to_another_origin(httpserver: HTTPServer) -> None:
    creds = HttpCredentials(base_url="https://api.example.com/v1", token="origin-token-8")
    with pytest.raises(ValueError, match="refusing to send the credentials") as info:
        http_request.fn("GET", httpserver.url_for("/elsewhere"), credentials=creds)
    assert httpserver.url_for("/elsewhere") in str(info.value)
    assert "origin-token-8" not in str(info.value)
    assert not httpserver.log  # nothing was sent


def test_a_relative_url_without_a_base_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="a relative URL needs credentials with a base_url"):
        http_request.fn("GET", "/users")


def test_a_redirect_to_another_origin_drops_the_credentials(echo: HTTPServer) -> None:
    other = HTTPServer(host="127.0.0.1", port=0)
    other.expect_request("/landing").respond_with_handler(_echo_headers)
    other.start()
    try:
        echo.expect_request("/v1/moved").respond_with_data(
            "", status=302, headers={"Location": other.url_for("/landing")}
        )
        for creds in (
            HttpCredentials(base_url=_base(echo), api_key="redirect-key-9"),
            HttpCredentials(base_url=_base(echo), token="redirect-token-9"),
        ):
            received = http_request.fn("GET", "moved", credentials=creds).json()
            assert "x-api-key" not in received and "authorization" not in received
        # the same origin keeps them
        echo.expect_request("/v1/here").respond_with_data(
            "", status=302, headers={"Location": "/v1/whoami"}
        )
        creds = HttpCredentials(base_url=_base(echo), api_key="redirect-key-9")
        assert http_request.fn("GET", "here", credentials=creds).json()["x-api-key"] == (
            "redirect-key-9"
        )
    finally:
        other.stop()
