"""`request`: one HTTP request with retries — what `http_request` and the other tasks run.

Usable outside a flow too. A 429 or 5xx answer (but 501) is retried up to ``max_retries``
times, after the server's ``Retry-After`` (seconds or an HTTP-date) or else exponential backoff
with jitter, both capped by ``max_backoff``. A connection that could not be made is retried the
same way; a request that was sent but got no answer (a read timeout) only for idempotent
methods, so a POST is never sent twice by accident. Other 4xx answers are not retried.

Every error names the method and the URL, credentials redacted (`cadenza_http.exceptions`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cadenza import masking

from cadenza_http._redact import (
    header_secrets,
    redact_httpx_logs,
    redact_url,
    scrub,
    url_secrets,
)
from cadenza_http._retry import IDEMPOTENT_METHODS, delay_before_retry, is_retryable_status
from cadenza_http.credentials import HttpCredentials, origin
from cadenza_http.exceptions import HttpConnectionError, HttpStatusError
from cadenza_http.response import HttpResponse

if TYPE_CHECKING:
    import httpx

_log = logging.getLogger("cadenza_http")
_BODY_EXCERPT = 300


def request(
    method: str,
    url: str,
    credentials: HttpCredentials | None = None,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    data: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = 30,
    max_retries: int = 3,
    *,
    backoff_factor: float = 0.5,
    max_backoff: float = 60.0,
    raise_for_status: bool = True,
    client: httpx.Client | None = None,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> HttpResponse:
    """Send ``method url`` and return its `HttpResponse`.

    ``url`` may be relative to ``credentials.base_url``. ``params`` are added to the query;
    ``json`` is sent as a JSON body, ``data`` as a form (a dict) or as it is (str, bytes).
    Raises `HttpStatusError` for a 4xx answer (429 after the retries) or a 5xx one after the
    retries (unless ``raise_for_status=False``: then the last answer is returned),
    `HttpConnectionError` when no answer came, ValueError for a URL that cannot be sent to.
    ``client`` reuses an ``httpx.Client`` (one made by ``credentials.get_client()``).
    """
    # lazily: httpx loads when a request is sent, not when the plugin lists its tasks
    import httpx

    redact_httpx_logs()
    method = method.upper()
    log = logger or _log
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    secrets = credentials.secret_strings() if credentials is not None else []
    _check_target(method, url, credentials, secrets)
    own_client = client is None
    if client is None:
        client = (
            credentials.get_client(timeout=timeout)
            if credentials is not None
            else httpx.Client(timeout=timeout, follow_redirects=True)
        )
    try:
        try:
            raw = isinstance(data, (str, bytes, bytearray))  # httpx wants those as `content`
            # params are added to the URL's own query (httpx's `params=` would replace it)
            target = httpx.URL(url).copy_merge_params(params) if params else url
            built = client.build_request(
                method,
                target,
                json=json,
                data=None if raw else data,
                content=data if raw else None,
                headers=headers,
                timeout=timeout,
            )
        except httpx.InvalidURL as exc:
            shown = scrub(redact_url(url), secrets)
            raise ValueError(f"{method} {shown}: not a valid URL ({exc})") from None
        # credentials the caller put in the URL or the headers: masked in run logs, scrubbed here
        given = url_secrets(str(built.url)) + header_secrets(headers)
        if given:
            masking.register(*given)
            secrets = [*secrets, *given]
        shown = scrub(redact_url(str(built.url)), secrets)
        attempts = 0
        while True:
            attempts += 1
            try:
                answer = client.send(built)
                answer.read()
            except httpx.UnsupportedProtocol:
                raise ValueError(
                    f"{method} {shown}: not an http(s) URL (a relative URL needs credentials "
                    "with a base_url)"
                ) from None
            except httpx.TransportError as exc:
                # a request never sent can be sent again; one that may have arrived, only if
                # sending it twice does no harm
                unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if attempts <= max_retries and (unsent or method in IDEMPOTENT_METHODS):
                    delay = delay_before_retry(attempts, None, backoff_factor, max_backoff)
                    log.warning(
                        "%s %s: %s; retrying in %.1f s (attempt %d of %d)",
                        method, shown, type(exc).__name__, delay, attempts + 1, max_retries + 1,
                    )  # fmt: skip
                    time.sleep(delay)
                    continue
                problem = scrub(f"{type(exc).__name__}: {exc}", secrets)
                raise HttpConnectionError(
                    f"{method} {shown} failed after {_times(attempts)}: no answer from the "
                    f"server ({problem})",
                    method=method,
                    url=shown,
                    attempts=attempts,
                ) from None
            record = _record(method, shown, answer, attempts)
            if is_retryable_status(record.status_code) and attempts <= max_retries:
                delay = delay_before_retry(
                    attempts, answer.headers.get("retry-after"), backoff_factor, max_backoff
                )
                log.warning(
                    "%s %s answered %d %s; retrying in %.1f s (attempt %d of %d)",
                    method, shown, record.status_code, record.reason_phrase, delay,
                    attempts + 1, max_retries + 1,
                )  # fmt: skip
                time.sleep(delay)
                continue
            log.info("%s %s -> %d %s", method, shown, record.status_code, record.reason_phrase)
            if raise_for_status and record.status_code >= 400:
                raise _status_error(record, secrets)
            return record
    finally:
        if own_client:
            client.close()


def _check_target(
    method: str, url: str, credentials: HttpCredentials | None, secrets: list[str]
) -> None:
    """Credentials go only to their own base URL's origin; a relative URL needs one."""
    parts = urlsplit(url)
    base = credentials.base_url if credentials is not None else None
    if not parts.scheme and not base:
        raise ValueError(
            f"{method} {scrub(redact_url(url), secrets)}: a relative URL needs credentials with "
            "a base_url (or give an absolute http(s) URL)"
        )
    authenticated = credentials is not None and credentials.auth_mode is not None
    if base and parts.scheme and authenticated and origin(url) != origin(base):
        raise ValueError(
            f"{method} {scrub(redact_url(url), secrets)}: refusing to send the credentials for "
            f"{base} to another origin; call without credentials, or with credentials for that "
            "origin"
        )


def _record(method: str, shown: str, answer: httpx.Response, attempts: int) -> HttpResponse:
    return HttpResponse(
        method=method,
        url=shown,
        status_code=answer.status_code,
        headers=dict(answer.headers.items()),
        content=answer.content,
        encoding=answer.charset_encoding or "utf-8",
        reason_phrase=answer.reason_phrase,
        attempts=attempts,
    )


def _status_error(record: HttpResponse, secrets: list[str]) -> HttpStatusError:
    body = scrub(record.text[:_BODY_EXCERPT], secrets).strip()
    status = f"{record.status_code} {record.reason_phrase}".strip()
    retried = f" after {_times(record.attempts)}" if record.attempts > 1 else ""
    message = f"{record.method} {record.url} failed{retried}: HTTP {status}"
    if body:
        message += f": {body}"
    return HttpStatusError(
        message,
        method=record.method,
        url=record.url,
        status_code=record.status_code,
        attempts=record.attempts,
        body=body,
    )


def _times(attempts: int) -> str:
    return f"{attempts} attempt{'s' if attempts != 1 else ''}"
