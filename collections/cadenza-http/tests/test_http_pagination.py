"""`http_paginate` and `paginate` over a real paginated API: Link headers, cursors, a next-page
function of the caller's, and the guards that stop a pagination that would never end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cadenza import flow
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cadenza_http import (
    HttpCredentials,
    HttpDecodeError,
    HttpPaginationError,
    HttpResponse,
    http_paginate,
    paginate,
)

ITEMS = [{"id": i} for i in range(1, 8)]  # 7 items, 3 per page: pages of 3, 3 and 1


def _page(request: Request) -> tuple[list[Any], int]:
    number = int(request.args.get("page", "1"))
    size = int(request.args.get("per_page", "3"))
    return ITEMS[(number - 1) * size : number * size], number


def _linked(request: Request) -> Response:
    """GitHub's style: a JSON list, and a Link header to the next page while there is one."""
    items, number = _page(request)
    headers = {}
    if number * 3 < len(ITEMS):
        # a relative link on odd pages, an absolute one on even pages
        target = f"/items?page={number + 1}&per_page=3"
        link = target if number % 2 else request.host_url.rstrip("/") + target
        headers["Link"] = f'<{link}>; rel="next", </items?page=3&per_page=3>; rel="last"'
    return Response(json.dumps(items), headers=headers, content_type="application/json")


def _cursored(request: Request) -> Response:
    """Slack's style: {"data": [...], "meta": {"next_cursor": "..."}}; "" at the end."""
    start = int(request.args.get("cursor") or 0)
    data = ITEMS[start : start + 3]
    following = str(start + 3) if start + 3 < len(ITEMS) else ""
    body = {"data": data, "meta": {"next_cursor": following}}
    return Response(json.dumps(body), content_type="application/json")


def test_three_pages_by_link_header_in_a_flow(httpserver: HTTPServer, record: Any) -> None:
    httpserver.expect_request("/items").respond_with_handler(_linked)

    @flow
    def everything() -> list[Any]:
        return http_paginate(httpserver.url_for("/items"), params={"per_page": 3})

    assert everything() == ITEMS
    pages = [req.args.get("page", "1") for req, _ in httpserver.log]
    assert pages == ["1", "2", "3"]
    assert record("SELECT task_name, state_type FROM task_runs") == [("http_paginate", "COMPLETED")]
    logs = [m for (m,) in record("SELECT message FROM logs") if "-> 200" in m]
    assert len(logs) == 3


def test_pages_with_credentials_and_a_base_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/items", headers={"Authorization": "Bearer page-token"})\
        .respond_with_handler(_cursored)  # fmt: skip
    creds = HttpCredentials(base_url=httpserver.url_for("/v1"), token="page-token")
    found = http_paginate.fn(
        "items", credentials=creds, items="data", cursor_path="meta.next_cursor"
    )
    assert found == ITEMS
    assert [req.args.get("cursor") for req, _ in httpserver.log] == [None, "3", "6"]


def test_a_next_page_function_returning_query_parameters(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_handler(_linked)

    def following(response: HttpResponse) -> dict[str, int] | None:
        items = response.json()
        return None if len(items) < 3 else {"page": items[-1]["id"] // 3 + 1}

    found = list(paginate(httpserver.url_for("/items"), params={"per_page": 3},
                          next_page=following))  # fmt: skip
    assert found == ITEMS


def test_a_next_page_function_returning_a_url_and_items_from_a_function(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/items").respond_with_handler(_cursored)

    def following(response: HttpResponse) -> str | None:
        cursor = response.json()["meta"]["next_cursor"]
        return f"items?cursor={cursor}" if cursor else None

    def ids(response: HttpResponse) -> list[int]:
        return [item["id"] for item in response.json()["data"]]

    assert http_paginate.fn(httpserver.url_for("/items"), items=ids, next_page=following) == [
        1, 2, 3, 4, 5, 6, 7,
    ]  # fmt: skip


def test_functions_as_task_parameters_in_a_flow(httpserver: HTTPServer, record: Any) -> None:
    httpserver.expect_request("/items").respond_with_handler(_cursored)

    def following(response: HttpResponse) -> dict[str, str] | None:
        cursor = response.json()["meta"]["next_cursor"]
        return {"cursor": cursor} if cursor else None

    @flow
    def ids() -> list[Any]:
        return http_paginate(
            httpserver.url_for("/items"),
            items=lambda r: [item["id"] for item in r.json()["data"]],
            next_page=following,
        )

    assert ids() == [1, 2, 3, 4, 5, 6, 7]
    assert record("SELECT state_type FROM task_runs") == [("COMPLETED",)]


def test_paginate_yields_page_by_page(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_handler(_linked)
    pages = paginate(httpserver.url_for("/items"), params={"per_page": 3})
    assert next(pages) == {"id": 1}
    assert len(httpserver.log) == 1  # the second page is fetched only when needed
    assert list(pages) == ITEMS[1:]
    assert len(httpserver.log) == 3


def test_max_pages_stops_a_pagination_with_more_pages(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_handler(_linked)
    with pytest.raises(HttpPaginationError, match=r"more than max_pages=2 pages") as info:
        http_paginate.fn(httpserver.url_for("/items"), params={"per_page": 3}, max_pages=2)
    assert "page=3" in str(info.value)
    assert len(httpserver.log) == 2  # the third page was not fetched
    assert http_paginate.fn(httpserver.url_for("/items"), params={"per_page": 3},
                            max_pages=3) == ITEMS  # fmt: skip


def test_a_next_link_to_a_page_already_fetched_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_json(
        [1], headers={"Link": '</loop>; rel="next"'}
    )
    with pytest.raises(HttpPaginationError, match="page 2 is a page already fetched"):
        http_paginate.fn(httpserver.url_for("/loop"))
    assert len(httpserver.log) == 1


def test_a_page_that_is_not_a_list_names_its_keys(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/wrapped").respond_with_json({"results": [1], "count": 1})
    expected = r"page 1: the body is a JSON dict, not a list \(keys: results, count\); pass items="
    with pytest.raises(HttpDecodeError, match=expected):
        http_paginate.fn(httpserver.url_for("/wrapped"))
    assert http_paginate.fn(httpserver.url_for("/wrapped"), items="results") == [1]


def test_a_wrong_return_from_next_page_is_a_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_handler(_linked)
    with pytest.raises(TypeError, match="next_page returned int"):
        http_paginate.fn(httpserver.url_for("/items"), next_page=lambda r: 2)
