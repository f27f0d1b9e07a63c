"""`http_request` and `http_get_json` in flows against a real server: what is sent (query,
JSON, form, raw body), what comes back (status, headers, text, JSON), large and non-ASCII
bodies, and a body that is not the JSON asked for."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from cadenza import flow
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cadenza_http import HttpDecodeError, HttpResponse, http_get_json, http_request, request


def _echo(request: Request) -> Response:
    body = {
        "method": request.method,
        "args": request.args.to_dict(flat=False),
        "content_type": request.content_type,
        "body": request.get_data(as_text=True),
    }
    return Response(json.dumps(body), status=201, headers={"X-Request-Id": "r-1"},
                    content_type="application/json")  # fmt: skip


def test_a_request_in_a_flow_returns_a_response_record(httpserver: HTTPServer, record: Any):
    httpserver.expect_request("/items", method="POST").respond_with_handler(_echo)

    @flow
    def create() -> HttpResponse:
        return http_request(
            "post", httpserver.url_for("/items"), params={"tag": ["a", "b"]}, json={"n": 1}
        )

    response = create()
    assert isinstance(response, HttpResponse)
    assert (response.status_code, response.status, response.ok) == (201, 201, True)
    assert response.method == "POST"
    assert response.headers["x-request-id"] == "r-1"
    assert response.headers["content-type"] == "application/json"
    sent = response.json()
    assert sent["args"] == {"tag": ["a", "b"]}
    assert sent["content_type"] == "application/json"
    assert json.loads(sent["body"]) == {"n": 1}
    assert response.url == httpserver.url_for("/items") + "?tag=a&tag=b"
    assert pickle.loads(pickle.dumps(response)) == response  # a result that can be persisted
    assert record("SELECT task_name, state_type FROM task_runs") == [("http_request", "COMPLETED")]


def test_form_data_and_raw_bodies(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/echo").respond_with_handler(_echo)
    form = request("PUT", httpserver.url_for("/echo"), data={"a": "1", "b": "é"}).json()
    assert form["content_type"] == "application/x-www-form-urlencoded"
    assert form["body"] == "a=1&b=%C3%A9"
    raw = request(
        "PATCH", httpserver.url_for("/echo"), data="plain text",
        headers={"Content-Type": "text/plain"},
    ).json()  # fmt: skip
    assert (raw["method"], raw["body"], raw["content_type"]) == (
        "PATCH",
        "plain text",
        "text/plain",
    )


def test_params_are_added_to_the_query_the_url_already_has(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/echo").respond_with_handler(_echo)
    sent = request("GET", httpserver.url_for("/echo") + "?a=1&b=2", params={"b": 3, "c": 4})
    assert sent.json()["args"] == {"a": ["1"], "b": ["3"], "c": ["4"]}


def test_http_get_json_returns_the_parsed_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/users/1", headers={"Accept": "application/json"}).respond_with_json(
        {"id": 1, "name": "Ada"}
    )

    @flow
    def get_user() -> Any:
        return http_get_json(httpserver.url_for("/users/1"))

    assert get_user() == {"id": 1, "name": "Ada"}


def test_malformed_json_is_a_clear_error(httpserver: HTTPServer, record: Any) -> None:
    httpserver.expect_request("/broken").respond_with_data(
        '{"id": 1, "name": ', content_type="application/json"
    )

    @flow
    def get_it() -> Any:
        return http_get_json(httpserver.url_for("/broken"))

    with pytest.raises(HttpDecodeError) as info:
        get_it()
    message = str(info.value)
    assert message.startswith(f"GET {httpserver.url_for('/broken')} answered 200 with a body "
                              "that is not valid JSON")  # fmt: skip
    assert "content-type 'application/json'" in message
    assert 'body starts \'{"id": 1, "name": \'' in message
    assert isinstance(info.value, ValueError)
    ((state, task_message),) = record("SELECT state_type, state_message FROM task_runs")
    assert state == "FAILED" and "not valid JSON" in task_message


def test_an_html_error_page_instead_of_json(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/proxy").respond_with_data(
        "<html><body>Bad gateway</body></html>", content_type="text/html"
    )
    with pytest.raises(HttpDecodeError, match="content-type 'text/html', body starts '<html>"):
        request("GET", httpserver.url_for("/proxy")).json()


def test_a_one_megabyte_body(httpserver: HTTPServer) -> None:
    blob = bytes(range(256)) * 4096  # 1 MiB, every byte value
    httpserver.expect_request("/blob").respond_with_data(
        blob, content_type="application/octet-stream"
    )
    rows = [{"i": i, "text": "x" * 90} for i in range(10_000)]  # ~1 MB of JSON
    httpserver.expect_request("/rows").respond_with_json(rows)

    @flow
    def fetch() -> tuple[bytes, Any]:
        return http_request("GET", httpserver.url_for("/blob")).content, http_get_json(
            httpserver.url_for("/rows")
        )

    content, parsed = fetch()
    assert len(content) == 1024 * 1024 and content == blob
    assert parsed == rows


def test_non_ascii_in_bodies_urls_and_headers(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/städte").respond_with_json(
        {"name": "Zürich", "emoji": "🚀", "cjk": "東京"}
    )
    httpserver.expect_request("/latin1").respond_with_data(
        "café".encode("latin-1"), content_type="text/plain; charset=iso-8859-1"
    )
    httpserver.expect_request("/echo").respond_with_handler(_echo)

    @flow
    def fetch() -> tuple[Any, str, Any]:
        cities = http_get_json(httpserver.url_for("/städte"), params={"q": "Köln"})
        latin = http_request("GET", httpserver.url_for("/latin1")).text
        echoed = http_request("POST", httpserver.url_for("/echo"), json={"w": "naïve ✓"}).json()
        return cities, latin, echoed

    cities, latin, echoed = fetch()
    assert cities == {"name": "Zürich", "emoji": "🚀", "cjk": "東京"}
    assert latin == "café"
    assert json.loads(echoed["body"]) == {"w": "naïve ✓"}
    city_request = next(req for req, _ in httpserver.log if "dte" in req.path)
    assert city_request.args["q"] == "Köln"


def test_the_response_record_reads_link_headers() -> None:
    response = HttpResponse(
        method="GET",
        url="https://a.example/items",
        status_code=200,
        headers={
            "link": '<https://a.example/items?page=2>; rel="next", '
            '<https://a.example/items?page=9>; rel="last prev"'
        },
    )
    assert response.links == {
        "next": "https://a.example/items?page=2",
        "last": "https://a.example/items?page=9",
        "prev": "https://a.example/items?page=9",
    }
    assert repr(response) == "<HttpResponse GET https://a.example/items 200>"
