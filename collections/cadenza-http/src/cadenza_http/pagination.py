"""`paginate`: every item of a paginated HTTP API, page after page — what `http_paginate` runs.

How the next page is found, first match wins:

1. ``next_page(response)``, a function of yours: None ends; a string is the next page's URL
   (relative ones resolved against the current page's); a mapping is query parameters merged
   into the first request's (a cursor, an offset);
2. ``cursor_path``: the dotted path of a cursor in each page's JSON (``"meta.next_cursor"``),
   sent back as the ``cursor_param`` query parameter; an empty or missing cursor ends;
3. otherwise the ``Link: <...>; rel="next"`` header (RFC 8288, as GitHub's API sends it).

Items come from each page's JSON: the body itself when it is a list, else the value at the
dotted path ``items`` (``"data"``, ``"result.items"``), or what ``items(response)`` returns.
Pagination stops with `HttpPaginationError` rather than loop forever: after ``max_pages`` pages
while a next page is still announced, or when the next page is one already fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

from cadenza_http._redact import redact_url, scrub
from cadenza_http._send import request
from cadenza_http.credentials import HttpCredentials
from cadenza_http.exceptions import HttpDecodeError, HttpPaginationError
from cadenza_http.response import HttpResponse

NextPage = Callable[[HttpResponse], "str | Mapping[str, Any] | None"]
"""A function of a page's response: the next page's URL, query parameters, or None (the end)."""
Items = Callable[[HttpResponse], Iterable[Any]]


def paginate(
    url: str,
    credentials: HttpCredentials | None = None,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    items: str | Items | None = None,
    next_page: NextPage | None = None,
    cursor_path: str | None = None,
    cursor_param: str = "cursor",
    max_pages: int = 100,
    timeout: float | None = 30,
    max_retries: int = 3,
    backoff_factor: float = 0.5,
    max_backoff: float = 60.0,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> Iterator[Any]:
    """Yield every item of every page, fetching each page (with `request`'s retries) only
    when the items before it have been consumed. See the module's docstring."""
    # lazily: httpx loads when a request is sent, not when the plugin lists its tasks
    import httpx

    if max_pages < 1:
        raise ValueError(f"max_pages must be 1 or more, got {max_pages}")
    secrets = credentials.secret_strings() if credentials is not None else []
    base_params = dict(params or {})
    page_url, page_params = url, dict(base_params)
    seen: set[str] = set()
    client = (
        credentials.get_client(timeout=timeout)
        if credentials is not None
        else httpx.Client(timeout=timeout, follow_redirects=True)
    )
    with client:
        for number in range(1, max_pages + 2):
            target = httpx.URL(page_url).copy_merge_params(page_params)
            here = str(client.build_request("GET", target).url)
            shown = scrub(redact_url(here), secrets)
            if here in seen:
                raise HttpPaginationError(
                    f"GET {shown}: page {number} is a page already fetched; pagination stopped "
                    "so as not to loop forever",
                    method="GET",
                    url=shown,
                )
            if number > max_pages:
                raise HttpPaginationError(
                    f"GET {shown}: more than max_pages={max_pages} pages; raise max_pages to "
                    "fetch them all",
                    method="GET",
                    url=shown,
                )
            seen.add(here)
            response = request(
                "GET",
                page_url,
                credentials,
                params=page_params,
                headers=headers,
                timeout=timeout,
                max_retries=max_retries,
                backoff_factor=backoff_factor,
                max_backoff=max_backoff,
                client=client,
                logger=logger,
            )
            yield from _items(response, items, number)
            following = _next(response, next_page, cursor_path, cursor_param)
            if following is None:
                return
            if isinstance(following, str):
                page_url, page_params = urljoin(here, following), {}
            else:
                page_params = {**base_params, **following}


def _next(
    response: HttpResponse, next_page: NextPage | None, cursor_path: str | None, cursor_param: str
) -> str | Mapping[str, Any] | None:
    """The next page: its URL, the query parameters to send, or None."""
    if next_page is not None:
        found = next_page(response)
        if found is None or isinstance(found, (str, Mapping)):
            return found or None
        raise TypeError(
            f"next_page returned {type(found).__name__}: it must return a URL (str), query "
            "parameters (a mapping) or None"
        )
    if cursor_path is not None:
        cursor = _at(response.json(), cursor_path, response)
        return None if cursor in (None, "") else {cursor_param: cursor}
    return response.links.get("next")


def _items(response: HttpResponse, items: str | Items | None, number: int) -> Iterable[Any]:
    if callable(items):
        return items(response)
    body = response.json()
    found = body if items is None else _at(body, items, response)
    if not isinstance(found, list):
        where = "the body" if items is None else f"items={items!r}"
        keys = f" (keys: {', '.join(map(str, found))})" if isinstance(found, dict) else ""
        raise HttpDecodeError(
            f"{response.method} {response.url}: page {number}: {where} is a JSON "
            f"{type(found).__name__}, not a list{keys}; pass items='<key>' or items=<function>",
            method=response.method,
            url=response.url,
        )
    return found


def _at(body: Any, path: str, response: HttpResponse) -> Any:
    """The value at a dotted path of a JSON body; None when a key is missing."""
    value = body
    for key in path.split("."):
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value
