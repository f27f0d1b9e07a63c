"""Secrets never leak: not in error messages, tracebacks, run logs, Python's logs (httpx's and
httpcore's debug logs included), the run record or a result. The server here is unkind on
purpose: it echoes the credentials it received back in its error bodies."""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import Any

import pytest
from cadenza import flow
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cadenza_http import HttpCredentials, HttpStatusError, http_get_json, http_request, request
from cadenza_http._redact import is_sensitive_parameter, redact_url, scrub

TOKEN = "tok-3f9a1c-never-shown"
PASSWORD = "pw-7d2e-never-shown"
API_KEY = "key-51b0-never-shown"


def _echo_credentials(request: Request) -> Response:
    """401, with every header and the query echoed back in the body (as a careless API does)."""
    body = {"error": "unauthorized", "headers": dict(request.headers), "args": request.args}
    return Response(json.dumps(body), status=401, content_type="application/json")


def _everything_said(exc: BaseException) -> str:
    return " ".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def _client_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What the client side logged (the test server's access log, werkzeug's, is the server's)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))


def _record_bytes(home: Path) -> bytes:
    from cadenza.backends import current_backend

    backend = current_backend()
    if backend is not None:
        backend.flush()
    return b"".join(p.read_bytes() for p in home.glob("cadenza.db*"))


@pytest.mark.parametrize(
    ("fields", "secret"),
    [
        ({"token": TOKEN}, TOKEN),
        ({"username": "etl", "password": PASSWORD}, PASSWORD),
        ({"api_key": API_KEY}, API_KEY),
    ],
    ids=["bearer", "basic", "api-key"],
)
def test_a_refused_request_in_a_flow_never_shows_the_credentials(
    httpserver: HTTPServer,
    record: Any,
    cadenza_isolated_home: Path,
    caplog: pytest.LogCaptureFixture,
    fields: dict[str, str],
    secret: str,
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx's and httpcore's debug logs included
    httpserver.expect_request("/v1/me").respond_with_handler(_echo_credentials)
    api = httpserver.url_for("/v1")
    HttpCredentials(base_url=api, **fields).save("api")  # type: ignore[arg-type]  # str secrets

    @flow(log_prints=True)
    def me() -> Any:
        credentials = HttpCredentials.load("api")
        print(f"calling with {credentials!r}")
        return http_get_json("me", credentials=credentials)

    with pytest.raises(HttpStatusError) as info:
        me()
    message = str(info.value)
    assert message.startswith(f"GET {httpserver.url_for('/v1/me')} failed: HTTP 401")
    assert "***" in message  # the echoed credential, scrubbed
    assert secret not in _everything_said(info.value)
    assert secret not in info.value.body
    (server_saw,) = [json.dumps(dict(req.headers)) for req, _ in httpserver.log]
    assert secret in server_saw or "Basic" in server_saw  # it was sent, and only to the server

    shown = (
        repr(record("SELECT message FROM logs"))
        + repr(record("SELECT state_message FROM task_runs"))
        + repr(record("SELECT message, details FROM run_states"))
    )
    assert "HTTP 401" in shown and "calling with HttpCredentials(" in shown
    assert secret not in shown
    assert secret.encode() not in _record_bytes(cadenza_isolated_home)
    assert secret not in _client_logs(caplog)


def test_credentials_passed_as_a_flow_parameter_stay_out_of_the_record(
    httpserver: HTTPServer, record: Any, cadenza_isolated_home: Path
) -> None:
    httpserver.expect_request("/v1/me").respond_with_handler(_echo_credentials)
    credentials = HttpCredentials(base_url=httpserver.url_for("/v1"), token=TOKEN)

    @flow
    def me(api: HttpCredentials) -> Any:
        return http_request("GET", "me", credentials=api, raise_for_status=False).status_code

    assert me(credentials) == 401
    assert TOKEN.encode() not in _record_bytes(cadenza_isolated_home)
    assert TOKEN not in repr(record("SELECT parameters FROM flow_runs"))


def test_credentials_in_the_url_or_its_query_are_redacted(
    httpserver: HTTPServer, record: Any, cadenza_isolated_home: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request("/v1/me").respond_with_handler(_echo_credentials)
    url = httpserver.url_for("/v1/me").replace("http://", f"http://etl:{PASSWORD}@")

    @flow
    def me() -> Any:
        return http_request("GET", url, params={"api_key": API_KEY, "page": 2})

    with pytest.raises(HttpStatusError) as info:
        me()
    said = _everything_said(info.value)
    assert "http://***@localhost:" in said and "/v1/me?api_key=***&page=2 failed" in said
    assert info.value.url.endswith("/v1/me?api_key=***&page=2")
    for secret in (PASSWORD, API_KEY):
        assert secret not in said
        assert secret not in _client_logs(caplog)  # httpx's own "HTTP Request: GET <url>" line too
        assert secret.encode() not in _record_bytes(cadenza_isolated_home)
    assert "api_key=***" in _client_logs(caplog)


def test_credentials_in_headers_the_caller_passes_are_scrubbed(
    httpserver: HTTPServer, record: Any, cadenza_isolated_home: Path
) -> None:
    httpserver.expect_request("/v1/me").respond_with_handler(_echo_credentials)

    @flow
    def me() -> Any:
        headers = {"Authorization": f"Bearer {TOKEN}", "X-Api-Key": API_KEY}
        return http_request("GET", httpserver.url_for("/v1/me"), headers=headers)

    with pytest.raises(HttpStatusError, match="HTTP 401") as info:
        me()
    said = _everything_said(info.value)
    shown = repr(record("SELECT message FROM logs")) + repr(
        record("SELECT state_message FROM task_runs")
    )
    for secret in (TOKEN, API_KEY):
        assert secret not in said and secret not in shown
        assert secret.encode() not in _record_bytes(cadenza_isolated_home)


def test_a_successful_response_record_holds_a_redacted_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data").respond_with_data("ok")
    response = request("GET", httpserver.url_for("/data"), params={"token": TOKEN})
    assert response.url.endswith("/data?token=***")
    assert TOKEN not in repr(response)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@h.example/x", "https://***@h.example/x"),
        ("https://h.example/x?api_key=abc&page=2", "https://h.example/x?api_key=***&page=2"),
        ("https://h.example/x?access_token=a&X-Amz-Signature=b", "https://h.example/x?access_token=***&X-Amz-Signature=***"),
        ("https://h.example/x?client_secret=s&q=secretary", "https://h.example/x?client_secret=***&q=secretary"),
        ("https://h.example/x?page=2&monkey=1", "https://h.example/x?page=2&monkey=1"),
        ("https://h.example/städte?q=Köln", "https://h.example/städte?q=Köln"),
    ],
)  # fmt: skip
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_which_query_parameters_are_credentials() -> None:
    sensitive = ["api_key", "apikey", "api-key", "key", "token", "access_token", "sig",
                 "password", "client_secret", "X-Amz-Credential", "auth"]  # fmt: skip
    plain = ["page", "per_page", "q", "monkey", "keyword", "cursor", "sort", "tokens_used"]
    assert all(is_sensitive_parameter(name) for name in sensitive)
    assert not any(is_sensitive_parameter(name) for name in plain)


def test_scrub_replaces_the_longest_secret_first() -> None:
    assert scrub("a abcdef abcd", ["abcd", "abcdef", "", "ab"]) == "a *** ***"
