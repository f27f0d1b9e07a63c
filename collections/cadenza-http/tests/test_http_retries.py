"""Retries against a real server: 429 with Retry-After then 200, 5xx until the retries run out,
4xx never retried, an unreachable server named in the error; and the delay arithmetic."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
from cadenza import flow
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cadenza_http import HttpConnectionError, HttpStatusError, http_request, request
from cadenza_http._retry import backoff, delay_before_retry, is_retryable_status, retry_after


def _requests_to(server: HTTPServer, path: str) -> int:
    return sum(1 for req, _ in server.log if req.path == path)


def test_429_with_retry_after_in_seconds_then_200(httpserver: HTTPServer, record: Any) -> None:
    httpserver.expect_ordered_request("/limited").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request("/limited").respond_with_json({"ok": True})

    @flow
    def call() -> Any:
        # no backoff of our own: any wait comes from Retry-After
        return http_request("GET", httpserver.url_for("/limited"), backoff_factor=0)

    started = time.monotonic()
    response = call()
    assert time.monotonic() - started >= 0.9  # it waited for Retry-After
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert response.attempts == 2
    assert _requests_to(httpserver, "/limited") == 2
    logs = " ".join(m for (m,) in record("SELECT message FROM logs"))
    assert "answered 429" in logs and "retrying in 1.0 s (attempt 2 of 4)" in logs


def test_429_with_retry_after_as_an_http_date(httpserver: HTTPServer) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=2)
    httpserver.expect_ordered_request("/dated").respond_with_data(
        "", status=429, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )
    httpserver.expect_ordered_request("/dated").respond_with_data("done")
    started = time.monotonic()
    response = request("GET", httpserver.url_for("/dated"), backoff_factor=0)
    assert time.monotonic() - started >= 0.5  # the date is to the second: at least ~1 s ahead
    assert response.text == "done" and response.attempts == 2


def test_a_long_retry_after_is_capped_by_max_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/capped").respond_with_data(
        "", status=503, headers={"Retry-After": "3600"}
    )
    httpserver.expect_ordered_request("/capped").respond_with_data("done")
    started = time.monotonic()
    response = request("GET", httpserver.url_for("/capped"), max_backoff=0.2)
    assert time.monotonic() - started < 60  # not an hour
    assert response.text == "done"


def test_503_every_time_fails_after_the_retries_naming_the_request(
    httpserver: HTTPServer, record: Any
) -> None:
    httpserver.expect_request("/down").respond_with_data("maintenance", status=503)

    @flow
    def call() -> Any:
        return http_request(
            "POST", httpserver.url_for("/down"), json={"a": 1}, max_retries=2, backoff_factor=0.05
        )

    with pytest.raises(HttpStatusError) as info:
        call()
    error = info.value
    assert str(error) == (
        f"POST {httpserver.url_for('/down')} failed after 3 attempts: "
        "HTTP 503 SERVICE UNAVAILABLE: maintenance"
    )
    assert (error.status_code, error.attempts, error.method) == (503, 3, "POST")
    assert _requests_to(httpserver, "/down") == 3
    ((state, message),) = record("SELECT state_type, state_message FROM task_runs")
    assert state == "FAILED" and "HTTP 503" in message and "/down" in message


def test_raise_for_status_false_returns_the_last_answer(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/flaky").respond_with_data("", status=502)
    response = request(
        "GET", httpserver.url_for("/flaky"), max_retries=1, backoff_factor=0,
        raise_for_status=False,
    )  # fmt: skip
    assert (response.status_code, response.ok, response.attempts) == (502, False, 2)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_4xx_other_than_429_is_not_retried(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/bad").respond_with_json({"error": "no such thing"}, status=status)
    with pytest.raises(HttpStatusError, match=rf"GET http://.*/bad\?q=1 failed: HTTP {status}"):
        request("GET", httpserver.url_for("/bad"), params={"q": 1})
    assert _requests_to(httpserver, "/bad") == 1


def test_connection_refused_is_a_clear_error_naming_the_url(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/api/items"

    @flow
    def call() -> Any:
        return http_request("GET", url, max_retries=1, backoff_factor=0.05)

    with pytest.raises(HttpConnectionError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"GET {url} failed after 2 attempts: no answer from the server")
    assert "ConnectError" in message
    assert isinstance(info.value, ConnectionError) and info.value.attempts == 2


def test_a_read_timeout_is_not_retried_for_a_post(httpserver: HTTPServer) -> None:
    release = threading.Event()

    def slow(_request: Request) -> Response:
        release.wait(10)  # answers only after the client gave up
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    try:
        with pytest.raises(HttpConnectionError, match=r"POST .*/slow failed after 1 attempt: "):
            request("POST", httpserver.url_for("/slow"), data=b"x", timeout=1.0, max_retries=2)
    finally:
        release.set()
    deadline = time.monotonic() + 10
    while not httpserver.log and time.monotonic() < deadline:  # the server logs when it answers
        time.sleep(0.05)
    assert _requests_to(httpserver, "/slow") == 1  # sent once, not again


# -- the delay arithmetic --------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 12, 7, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after("7", now) == 7.0
    assert retry_after(" 0 ", now) == 0.0
    assert retry_after("Mon, 07 Dec 2026 12:00:30 GMT", now) == 30.0
    assert retry_after("Mon, 07 Dec 2026 11:00:00 GMT", now) == 0.0  # in the past
    assert retry_after(None, now) is None
    assert retry_after("soon", now) is None
    assert retry_after("-5", now) is None


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0)]:
        delays = [backoff(attempt, 0.5, 60) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered, not one fixed value
    assert all(backoff(30, 0.5, 3.0) <= 3.0 for _ in range(100))
    assert delay_before_retry(1, "120", 0.5, 10) == 10  # Retry-After capped too
    assert delay_before_retry(1, "2", 0.5, 10) == 2


def test_which_statuses_are_retried() -> None:
    statuses = (200, 400, 404, 408, 429, 500, 501, 502, 503, 504)
    assert [s for s in statuses if is_retryable_status(s)] == [
        429, 500, 502, 503, 504,
    ]  # fmt: skip
