"""/api/saved_views: named filters of the runs list kept on the server, at most one default per
page, checked names and filters (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from dashboard_writes import ok

from cadenza.client.errors import ApiError
from cadenza.client.http import ApiClient


def _post(client, name, query=None, **extra):
    return client.post("/api/saved_views", json={"name": name, "query": query or {}, **extra})


def _refused(response, *loc) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert [e["loc"] for e in body["errors"]] == [["body", *loc]], body
    return str(body["errors"][0]["msg"])


def test_save_list_read_change_and_delete(api) -> None:
    query = {"state": ["failed", "CRASHED"], "flow_name": "ingest", "tag": ["eu"], "range": "7d"}
    made = _post(api, "Failures in ingest", query)
    assert made.status_code == 201, made.text
    view = made.json()
    assert view["name"] == "Failures in ingest" and view["page"] == "runs"
    assert view["query"] == {"state": ["FAILED", "CRASHED"], "flow_name": "ingest",
                             "tag": ["eu"], "range": "7d"}  # fmt: skip
    assert view["is_default"] is False and view["created"] == view["updated"]
    other = ok(_post(api, "All EU", {"tag": ["eu"]}))
    listed = ok(api.get("/api/saved_views", params={"page": "runs"}))
    assert [v["name"] for v in listed] == ["All EU", "Failures in ingest"]
    assert ok(api.get(f"/api/saved_views/{view['id']}")) == view

    renamed = ok(api.put(f"/api/saved_views/{view['id']}", json={"name": "Ingest failures"}))
    assert renamed["name"] == "Ingest failures" and renamed["query"] == view["query"]
    refiltered = ok(api.put(f"/api/saved_views/{view['id']}", json={"query": {"q": "load"}}))
    assert refiltered["query"] == {"q": "load"} and refiltered["name"] == "Ingest failures"

    gone = ok(api.delete(f"/api/saved_views/{view['id']}"))
    assert gone["id"] == view["id"]
    assert api.get(f"/api/saved_views/{view['id']}").status_code == 404
    assert api.delete(f"/api/saved_views/{view['id']}").status_code == 404
    assert api.put(f"/api/saved_views/{view['id']}", json={"name": "x"}).status_code == 404
    assert [v["id"] for v in ok(api.get("/api/saved_views"))] == [other["id"]]


def test_one_default_per_page_and_making_another_clears_it(api) -> None:
    a = ok(_post(api, "a", {"state": ["FAILED"]}, is_default=True))
    b = ok(_post(api, "b", {"state": ["RUNNING"]}))
    assert a["is_default"] is True and b["is_default"] is False
    made = ok(api.put(f"/api/saved_views/{b['id']}", json={"is_default": True}))
    assert made["is_default"] is True
    defaults = [v["name"] for v in ok(api.get("/api/saved_views")) if v["is_default"]]
    assert defaults == ["b"]
    c = ok(_post(api, "c", is_default=True))  # saving as default replaces it too
    assert [v["name"] for v in ok(api.get("/api/saved_views")) if v["is_default"]] == ["c"]
    ok(api.put(f"/api/saved_views/{c['id']}", json={"is_default": False}))
    assert not [v for v in ok(api.get("/api/saved_views")) if v["is_default"]]


def test_a_taken_name_is_a_conflict(api) -> None:
    first = ok(_post(api, "Nightly"))
    again = _post(api, "Nightly", {"q": "x"})
    assert again.status_code == 409 and "Nightly" in again.json()["detail"]
    other = ok(_post(api, "Weekly"))
    clash = api.put(f"/api/saved_views/{other['id']}", json={"name": "Nightly"})
    assert clash.status_code == 409
    same = api.put(f"/api/saved_views/{first['id']}", json={"name": "Nightly"})
    assert same.status_code == 200  # its own name is no clash


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"state": "FAILED"}, "state"),
        ({"state": ["BURNING"]}, "state"),
        ({"tag": "eu"}, "tag"),
        ({"flow_name": 5}, "flow_name"),
        ({"sort": "name"}, "sort"),
        ({"range": "2y"}, "range"),
        ({"since": "next tuesday"}, "since"),
        ({"q": "x" * 1_001}, "q"),
        ({"tag": [str(i) for i in range(51)]}, "tag"),
    ],
)
def test_filters_only_those_the_runs_list_takes(lite, query, field) -> None:
    _refused(_post(lite, "v", query), "query", field)


def test_hostile_names_are_refused_naming_the_field(lite) -> None:
    def raw(body: str):
        headers = {"Content-Type": "application/json"}
        return lite.post("/api/saved_views", content=body.encode(), headers=headers)

    _refused(raw('{"name": "a\\ud800b"}'), "name")  # a lone surrogate
    assert "200" in _refused(_post(lite, "n" * 1_000_000), "name")
    for control in ("tab\there", "bell\x07", "nul\x00", "line\nbreak", "c1\x85"):
        _refused(_post(lite, control), "name")
    _refused(_post(lite, ""), "name")
    _refused(_post(lite, "   "), "name")
    _refused(raw(json.dumps({"name": "ok", "query": {"q": "a\ud800"}})), "query", "q")
    _refused(_post(lite, "ok", is_default="yes"), "is_default")
    _refused(_post(lite, "ok", page="deployments"), "page")
    assert ok(lite.get("/api/saved_views")) == []  # nothing was stored
    # text that is merely unusual is kept as it was sent
    odd = "<img src=x onerror=alert(1)> ∑ 🙂 'quoted' \"name\""
    assert ok(_post(lite, odd))["name"] == odd
    assert lite.get("/api/saved_views/%ED%A0%80").status_code == 404
    view = ok(lite.get("/api/saved_views"))[0]
    _refused(lite.put(f"/api/saved_views/{view['id']}", json={"name": "x\x1b[31m"}), "name")


@pytest.fixture(params=["sqlite_server", "postgresql_server"])
def client(request):
    server = request.getfixturevalue(request.param)
    with ApiClient(server.url, retry_time=5) as api:
        yield api


@pytest.mark.parametrize("server", ["sqlite_server", "postgresql_server"])
def test_concurrent_make_default_leaves_exactly_one(request, server) -> None:
    # no retries: a call that lost a race must not be hidden by the client trying again
    client = ApiClient(request.getfixturevalue(server).url, retry_time=0)
    request.addfinalizer(client.close)
    tag = uuid.uuid4().hex[:8]
    views = [client.create_saved_view(f"race {tag} {i}", {"q": tag}) for i in range(16)]
    start = threading.Barrier(16)
    answers: list[object] = []

    def make_default(view_id: str) -> None:
        start.wait()
        try:
            answers.append(client.update_saved_view(view_id, is_default=True)["is_default"])
        except Exception as exc:  # the assertion below shows what went wrong
            answers.append(exc)

    threads = [threading.Thread(target=make_default, args=(v["id"],)) for v in views]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == [True] * 16
    defaults = [v for v in client.read_saved_views(page="runs") if v["is_default"]]
    assert len(defaults) == 1 and defaults[0]["name"].startswith(f"race {tag} ")
    for v in views:
        client.delete_saved_view(v["id"])


def test_the_client_methods(client) -> None:
    name = f"client {uuid.uuid4().hex[:8]}"
    view = client.create_saved_view(name, {"state": ["failed"], "sort": "created_asc"})
    assert view["query"] == {"state": ["FAILED"], "sort": "created_asc"}
    assert client.read_saved_view(view["id"]) == view
    assert view["id"] in [v["id"] for v in client.read_saved_views()]
    with pytest.raises(ApiError) as taken:
        client.create_saved_view(name)
    assert taken.value.status == 409
    changed = client.update_saved_view(view["id"], name=name + "!", query={"q": "x"})
    assert changed["name"] == name + "!" and changed["query"] == {"q": "x"}
    assert client.delete_saved_view(view["id"])["id"] == view["id"]
    with pytest.raises(LookupError):
        client.read_saved_view(view["id"])
