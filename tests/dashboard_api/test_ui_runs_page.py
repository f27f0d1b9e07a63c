"""GET /api/flow_runs/page: keyset pages, filters, capped totals and the per-run extras."""

from __future__ import annotations

import base64
import json

import pytest
from dashboard_writes import T0, batch, create_run, finish, log, ok


def _all_pages(client, **params) -> list[dict]:
    items, cursor, seen = [], None, 0
    while True:
        page = ok(client.get("/api/flow_runs/page", params={**params, "cursor": cursor}))
        items += page["items"]
        cursor = page["next_cursor"]
        seen += 1
        assert seen < 100
        if cursor is None:
            return items


def test_keyset_pages_walk_every_run_once_in_order(api) -> None:
    # 7 runs share one creation time: the id breaks the tie, so no page repeats or skips one
    ids = [create_run(api, created=T0 + (i if i < 5 else 100)) for i in range(12)]
    items = _all_pages(api, limit=5)
    assert len(items) == 12 and {i["id"] for i in items} == set(ids)
    keys = [(i["created"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    ascending = _all_pages(api, limit=4, sort="created_asc")
    assert [i["id"] for i in ascending] == [i["id"] for i in reversed(items)]
    first = ok(api.get("/api/flow_runs/page", params={"limit": 5}))
    assert first["total"] == 12 and first["total_capped"] is False
    assert len(first["items"]) == 5 and first["next_cursor"]


def test_filters_by_state_flow_tag_time_and_text(api) -> None:
    a = create_run(
        api, flow_name="ingest", tags=["nightly", "eu"], name="alpha-load", created=T0 + 10
    )
    b = create_run(api, flow_name="ingest", tags=["nightly"], name="beta", created=T0 + 20)
    c = create_run(api, flow_name="report", tags=["eu", "100%_sure"], name="Gamma", created=T0 + 30)
    finish(api, a, "FAILED", T0 + 11, T0 + 15)
    finish(api, b, "COMPLETED", T0 + 21, T0 + 22)

    def ids(**params) -> set[str]:
        return {i["id"] for i in _all_pages(api, **params)}

    assert ids(state=["failed"]) == {a}
    assert ids(state=["FAILED", "COMPLETED"]) == {a, b}
    assert ids(flow_name="ingest") == {a, b}
    assert ids(tag=["nightly"]) == {a, b}
    assert ids(tag=["nightly", "eu"]) == {a}
    assert ids(tag=["100%_sure"]) == {c}
    assert ids(tag=["100%"]) == set()  # a whole tag, not a part of one
    assert ids(tag=["Nightly"]) == set()  # tags are case-sensitive
    assert ids(since=str(T0 + 20)) == {b, c}
    assert ids(until="2026-01-01T00:00:20Z") == {a}
    assert ids(q="GAMMA") == {c}
    assert ids(q="REPO") == {c}  # the flow name
    assert ids(q="%") == set()  # a wildcard is a character
    assert ids(q="a-l") == {a}
    assert ids(flow_name="ingest", state=["COMPLETED"]) == {b}


def test_an_item_has_the_list_fields_and_the_dashboard_extras(api) -> None:
    run = create_run(api, parameters={"n": 1, "long": "x" * 500}, tags=["t"])
    finish(api, run, "COMPLETED", T0 + 1, T0 + 3.5)
    quiet = create_run(api, created=T0 - 1)
    batch(api, logs=[log(run, "w", 30), log(run, "e", 40), log(run, "c", 50), log(run, "i", 20)])
    items = ok(api.get("/api/flow_runs/page"))["items"]
    listed = ok(api.get("/api/flow_runs"))
    assert [i["id"] for i in items] == [run, quiet]
    item = items[0]
    assert {k: item[k] for k in listed[0]} == listed[0]  # every field of GET /api/flow_runs
    assert item["duration"] == 2.5
    assert item["deployment_name"] is None
    assert len(item["parameters_preview"]) == 120 and item["parameters_preview"].endswith("…")
    assert item["parameters_preview"].startswith('{"n": 1')
    assert (item["warning_count"], item["error_count"]) == (3, 2)
    assert (items[1]["warning_count"], items[1]["error_count"]) == (0, 0)
    assert items[1]["duration"] is None


def test_deployment_filter_by_id_and_name(api) -> None:
    dep = ok(api.post("/api/deployments", json={"name": "daily", "flow_name": "etl"}))
    made = ok(api.post(f"/api/deployments/{dep['id']}/create_flow_run", json={}))
    create_run(api)
    for ref in (dep["id"], "etl/daily"):
        items = ok(api.get("/api/flow_runs/page", params={"deployment": ref}))["items"]
        assert [i["id"] for i in items] == [made["id"]]
        assert items[0]["deployment_name"] == "etl/daily"
    missing = api.get("/api/flow_runs/page", params={"deployment": "etl/nope"})
    assert missing.status_code == 404 and "etl/nope" in missing.json()["detail"]


@pytest.mark.slow
def test_total_is_capped_at_ten_thousand(api) -> None:
    rows = [
        {
            "id": f"r{i:05d}",
            "name": f"r{i}",
            "flow_name": "bulk",
            "parameters": "{}",
            "tags": "[]",
            "created": T0 + i,
            "run_count": 0,
            "retries": 0,
            "auto_scheduled": False,
        }
        for i in range(10_002)
    ]
    store = api.app.state.store
    from cadenza.store.tables import flow_runs

    with store.write() as conn:  # the count's cap, not the writes, is under test
        conn.execute(flow_runs.insert(), rows)
    page = ok(api.get("/api/flow_runs/page", params={"limit": 3}))
    assert page["total"] == 10_000 and page["total_capped"] is True
    assert [i["id"] for i in page["items"]] == ["r10001", "r10000", "r09999"]
    few = ok(api.get("/api/flow_runs/page", params={"since": str(T0 + 10_000)}))
    assert few["total"] == 2 and few["total_capped"] is False


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not base64 at all!"},
        {"cursor": _cursor(b"\xff\xfe garbage")},
        {"cursor": _cursor(json.dumps({"created": 1}).encode())},
        {"cursor": _cursor(b'[1.0, "\\ud800"]')},  # a lone surrogate inside
        {"cursor": _cursor(b'[NaN, "x"]')},
        {"cursor": _cursor(b'["1", "x"]')},
        {"cursor": "x" * 5000},
        {"limit": 0},
        {"limit": 501},
        {"limit": -3},
        {"state": "SLEEPING"},
        {"sort": "name"},
        {"since": "yesterday"},
        {"since": "nan"},
        {"until": "inf"},
        {"q": "x" * 60_000},  # httpx sends no URL over 64 KiB; uvicorn refuses one first
        {"q": "a\x00b"},
        {"tag": "a\x00b"},
    ],
)
def test_hostile_input_is_a_422_in_the_one_shape(lite, params) -> None:
    create_run(lite)
    response = lite.get("/api/flow_runs/page", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith("Invalid request: ") and body["errors"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("cursor=%ED%B2%80", 422),
        ("cursor=%ff%fe", 422),
        ("flow_name=%ED%B3%BF", 200),
        ("q=%ED%B3%BF", 200),
        ("tag=%00", 422),
        ("q=%C0%80", 200),
    ],
)
def test_undecodable_query_bytes_never_make_a_500(lite, query, status) -> None:
    """A lone surrogate cannot cross a URL: its UTF-8 bytes arrive as replacement characters."""
    create_run(lite)
    response = lite.get(f"/api/flow_runs/page?{query}")
    assert response.status_code == status, response.text


def test_a_tampered_cursor_is_refused_and_a_good_one_reads_on(lite) -> None:
    for i in range(3):
        create_run(lite, created=T0 + i)
    page = ok(lite.get("/api/flow_runs/page", params={"limit": 1}))
    cursor = page["next_cursor"]
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    response = lite.get("/api/flow_runs/page", params={"limit": 1, "cursor": tampered})
    assert response.status_code in (200, 422)  # still a cursor, or refused: never a 500
    nxt = ok(lite.get("/api/flow_runs/page", params={"limit": 1, "cursor": cursor}))
    assert nxt["items"][0]["id"] != page["items"][0]["id"]
