"""`ApiClient` against a mocked transport: auth, retries, Retry-After, version check, errors."""

from __future__ import annotations

import time

import httpx
import pytest
from cadenza_fake_server import FakeServer

from cadenza.client.http import (
    ApiClient,
    ApiError,
    NotFound,
    ServerUnavailable,
    api_base,
    retry_after_seconds,
)
from cadenza.exceptions import ServerIncompatible


def test_api_base_accepts_both_forms() -> None:
    assert api_base("http://h:1") == "http://h:1/api"
    assert api_base("http://h:1/api/") == "http://h:1/api"


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("garbage") is None
    from email.utils import formatdate

    assert 0 <= retry_after_seconds(formatdate(time.time() + 5, usegmt=True)) <= 6


def test_bearer_key_is_sent() -> None:
    server = FakeServer(api_key="s3cret")
    client = ApiClient("http://x", api_key="s3cret", transport=server.transport())
    client.check_version()
    assert server.auth_seen[-1] == "Bearer s3cret"


def test_no_key_means_no_header_and_401_is_an_api_error() -> None:
    server = FakeServer(api_key="s3cret")
    client = ApiClient("http://x", transport=server.transport())
    assert server.auth_seen == []
    with pytest.raises(ApiError) as info:
        client.list_flow_runs()
    assert info.value.status == 401
    assert server.auth_seen == [None]


def test_version_check_refuses_another_api_version() -> None:
    server = FakeServer(api_version=2)
    client = ApiClient("http://x", transport=server.transport())
    with pytest.raises(ServerIncompatible, match="version 2"):
        client.check_version()


def test_version_check_refuses_a_non_cadenza_server() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, text="<html>hello</html>"))
    with pytest.raises(ServerIncompatible, match="cadenza server"):
        ApiClient("http://x", transport=transport).check_version()
    transport = httpx.MockTransport(lambda r: httpx.Response(404, text="nope"))
    with pytest.raises(ServerIncompatible, match="not a cadenza server"):
        ApiClient("http://x", transport=transport).check_version()


def test_retries_5xx_and_429_honouring_retry_after() -> None:
    server = FakeServer()
    server.fail_next = [
        httpx.Response(503, headers={"Retry-After": "0.4"}, json={"detail": "busy"}),
        httpx.Response(429, headers={"Retry-After": "0.3"}),
        httpx.Response(500),
    ]
    client = ApiClient("http://x", transport=server.transport(), retry_time=5, backoff=0.01)
    start = time.monotonic()
    assert client.version()["api_version"] == 1
    assert time.monotonic() - start >= 0.7  # both Retry-After waits were kept
    assert server.count("/api/version") == 4


def test_retry_time_is_bounded() -> None:
    server = FakeServer()
    server.down = True
    client = ApiClient("http://x", transport=server.transport(), retry_time=0.5, backoff=0.05)
    start = time.monotonic()
    with pytest.raises(ServerUnavailable, match="cannot reach"):
        client.version()
    assert time.monotonic() - start < 1.5


def test_a_retry_after_beyond_the_budget_gives_up_at_once() -> None:
    server = FakeServer()
    server.fail_next = [httpx.Response(503, headers={"Retry-After": "60"})]
    client = ApiClient("http://x", transport=server.transport(), retry_time=1)
    start = time.monotonic()
    with pytest.raises(ServerUnavailable, match="503"):
        client.version()
    assert time.monotonic() - start < 0.5


def test_4xx_is_not_retried() -> None:
    server = FakeServer()
    server.fail_next = [httpx.Response(422, json={"detail": "bad payload"})]
    client = ApiClient("http://x", transport=server.transport())
    with pytest.raises(ApiError, match="bad payload"):
        client.batch({"task_runs": [], "transitions": [], "logs": []})
    assert server.count("/api/batch") == 1
    with pytest.raises(NotFound):
        client.get_flow_run("nope")


@pytest.mark.slow  # waits out a real Retry-After
def test_retry_after_over_a_real_socket() -> None:
    """A real HTTP server answers 503 + Retry-After twice, then the version."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(time.monotonic())
            if len(hits) <= 2:
                self.send_response(503)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"api_version": 1, "cadenza_version": "t"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        with ApiClient(url, retry_time=10, backoff=0.01) as client:
            assert client.check_version()["api_version"] == 1
        assert len(hits) == 3
        assert hits[1] - hits[0] >= 0.95 and hits[2] - hits[1] >= 0.95
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_timeouts_wait_for_a_busy_server_and_connect_briefly(monkeypatch) -> None:
    from cadenza.settings import spec

    with ApiClient("http://x") as client:  # Prefect's PREFECT_API_REQUEST_TIMEOUT is 60 s too
        assert (client._http.timeout.read, client._http.timeout.connect) == (60.0, 10.0)
    monkeypatch.setenv("CADENZA_API_REQUEST_TIMEOUT", "2.5")
    spec.reset_cache()
    with ApiClient("http://x") as client:
        assert (client._http.timeout.read, client._http.timeout.connect) == (2.5, 2.5)
    with ApiClient("http://x", timeout=120) as client:
        assert (client._http.timeout.read, client._http.timeout.connect) == (120.0, 10.0)
