"""The prebuilt tasks of cadenza-http: `http_request`, `http_get_json` and `http_paginate`.

Each runs the plain function of the same job (`cadenza_http.request`, `cadenza_http.paginate`)
and logs to the task run's log: one line per answer, one per retry, URLs redacted. Retries of
429 and 5xx answers happen inside the task (``max_retries``), so the task itself is not retried
by default; give it ``retries=`` through ``with_options`` to retry connection failures longer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cadenza import get_run_logger, task
from cadenza.exceptions import MissingContextError

from cadenza_http._send import request
from cadenza_http.credentials import HttpCredentials
from cadenza_http.pagination import Items, NextPage, paginate
from cadenza_http.response import HttpResponse


def _logger() -> logging.Logger | logging.LoggerAdapter[Any]:
    """The task run's logger; the module's when called outside a run (``task.fn(...)``)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("cadenza_http")


@task(name="http_request")
def http_request(
    method: str,
    url: str,
    credentials: HttpCredentials | None = None,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    data: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = 30,
    max_retries: int = 3,
    backoff_factor: float = 0.5,
    max_backoff: float = 60.0,
    raise_for_status: bool = True,
) -> HttpResponse:
    """Send one request; its `HttpResponse` (status, headers, text, ``json()``).

    ``url`` may be relative to ``credentials.base_url``. 429 and 5xx answers are retried up
    to ``max_retries`` times (after ``Retry-After``, else exponential backoff with jitter,
    capped by ``max_backoff`` seconds); `HttpStatusError` for a 4xx answer or a 5xx one after
    the retries, naming the method, the URL (credentials redacted) and the status;
    `HttpConnectionError` when the server cannot be reached.
    """
    return request(
        method,
        url,
        credentials,
        params=params,
        json=json,
        data=data,
        headers=headers,
        timeout=timeout,
        max_retries=max_retries,
        backoff_factor=backoff_factor,
        max_backoff=max_backoff,
        raise_for_status=raise_for_status,
        logger=_logger(),
    )


@task(name="http_get_json")
def http_get_json(
    url: str,
    credentials: HttpCredentials | None = None,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = 30,
    max_retries: int = 3,
    backoff_factor: float = 0.5,
    max_backoff: float = 60.0,
) -> Any:
    """GET ``url`` (``Accept: application/json``) and return its parsed JSON body; as
    `http_request` for errors and retries, and `HttpDecodeError` (a ValueError) when the body
    is not JSON."""
    response = request(
        "GET",
        url,
        credentials,
        params=params,
        headers={"Accept": "application/json", **(headers or {})},
        timeout=timeout,
        max_retries=max_retries,
        backoff_factor=backoff_factor,
        max_backoff=max_backoff,
        logger=_logger(),
    )
    return response.json()


@task(name="http_paginate")
def http_paginate(
    url: str,
    credentials: HttpCredentials | None = None,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    items: str | Items | None = None,
    next_page: NextPage | None = None,
    cursor_path: str | None = None,
    cursor_param: str = "cursor",
    max_pages: int = 100,
    timeout: float | None = 30,
    max_retries: int = 3,
    backoff_factor: float = 0.5,
    max_backoff: float = 60.0,
) -> list[Any]:
    """Every item of every page, in order, as one list: pages follow ``Link: rel="next"``, or
    ``cursor_path``'s cursor, or your ``next_page(response)``; items are the JSON body (a
    list) or the value at ``items`` (a dotted path, or a function of the response).
    `HttpPaginationError` after ``max_pages`` pages with more announced. To handle items as
    they arrive instead of all at the end, iterate `cadenza_http.paginate` in a task of yours.
    """
    return list(
        paginate(
            url,
            credentials,
            params=params,
            headers=headers,
            items=items,
            next_page=next_page,
            cursor_path=cursor_path,
            cursor_param=cursor_param,
            max_pages=max_pages,
            timeout=timeout,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
            logger=_logger(),
        )
    )
