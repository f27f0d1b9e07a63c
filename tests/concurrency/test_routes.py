"""The concurrency routes of the HTTP API, in-process over SQLite and PostgreSQL: what they
answer, the waiting acquire route, and bad input refused with the one error shape."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_helpers import TestClient

from cadenza._times import epoch

BASE = "/api/concurrency_limits"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def client(request: pytest.FixtureRequest, cadenza_home: Path) -> Iterator[TestClient]:
    from cadenza.server.app import create_app

    url = f"sqlite:///{cadenza_home / 'cadenza.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    with TestClient(create_app(url, api_key="")) as test_client:
        yield test_client


def _acquire(client: TestClient, names: list[str], **body: object) -> dict:
    answer = client.post(f"{BASE}/increment-with-lease", json={"names": names, **body})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_limit_through_its_routes(client: TestClient) -> None:
    made = client.post(BASE, json={"name": "db", "limit": 2})
    assert made.status_code == 201 and made.json()["limit"] == 2
    assert client.post(BASE, json={"name": "db", "limit": 2}).status_code == 409
    granted = _acquire(client, ["db", "missing"], slots=2, holder={"type": "flow_run", "id": "f"})
    assert granted["granted"] and granted["lease_id"] and granted["missing"] == ["missing"]
    one = client.get(f"{BASE}/db").json()
    assert one["active_slots"] == 2 and one["leases"][0]["holder"] == {
        "type": "flow_run",
        "id": "f",
    }
    assert [x["name"] for x in client.get(BASE).json()] == ["db"]
    renewed = client.post(f"{BASE}/leases/{granted['lease_id']}/renew", json={"lease_seconds": 5})
    assert renewed.status_code == 200 and epoch(renewed.json()["expires"]) > time.time() + 4
    released = client.post(f"{BASE}/decrement-with-lease", json={"lease_id": granted["lease_id"]})
    assert released.json() == {"freed": [{"name": "db", "slots": 2}]}
    gone = client.post(f"{BASE}/leases/{granted['lease_id']}/renew", json={})
    assert gone.status_code == 410 and "is held any more" in gone.json()["detail"]
    assert client.patch(f"{BASE}/db", json={"limit": 9}).json()["limit"] == 9
    assert client.post(f"{BASE}/db/reset").json()["active_slots"] == 0
    assert client.delete(f"{BASE}/db").json()["name"] == "db"
    missing = client.get(f"{BASE}/db")
    assert missing.status_code == 404 and missing.json() == {
        "detail": "no concurrency limit named 'db'", "errors": []}  # fmt: skip


def test_the_acquire_route_waits_on_the_server_until_a_slot_frees(client: TestClient) -> None:
    client.post(BASE, json={"name": "one", "limit": 1})
    held = _acquire(client, ["one"])
    started = time.monotonic()
    refused = _acquire(client, ["one"], wait=0.4)
    assert not refused["granted"] and refused["blocked"] == ["one"]
    assert 0.35 < time.monotonic() - started < 3
    assert _acquire(client, ["one"], wait=5, max_retries=0)["granted"] is False

    def release_soon() -> None:
        time.sleep(0.5)
        released.append(time.monotonic())
        client.post(f"{BASE}/decrement-with-lease", json={"lease_id": held["lease_id"]})

    released: list[float] = []
    threading.Thread(target=release_soon).start()
    waited = _acquire(client, ["one"], wait=20)
    latency = time.monotonic() - released[0]
    assert waited["granted"] and latency < 0.5, latency


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ({"name": "n", "limit": -1}, ["body", "limit"], "from 0 to 2147483647, not -1"),
        ({"name": "a/b", "limit": 1}, ["body", "name"], "must not contain '/'"),
        ({"name": "x" * 1_000_000, "limit": 1}, ["body", "name"], "1,000,000 characters"),
        ({"name": "n", "limit": 1, "slot_decay_per_second": -2}, ["body", "slot_decay_per_second"],
         "slot_decay_per_second must be from 0"),
        ({"limit": 1}, ["body", "name"], "Field required"),
    ],
)  # fmt: skip
def test_bad_limits_are_refused_with_the_error_shape(
    client: TestClient, body: dict, where: list, message: str
) -> None:
    answer = client.post(BASE, json=body)
    assert answer.status_code == 422
    error = answer.json()
    assert error["errors"][0]["loc"] == where and message in error["errors"][0]["msg"]
    assert len(answer.text) < 2000  # the value sent is never repeated


def test_bad_requests_to_acquire_are_refused(client: TestClient) -> None:
    client.post(BASE, json={"name": "two", "limit": 2})
    surrogate = b'{"names": ["s\\udc80"]}'
    answer = client.post(f"{BASE}/increment-with-lease", content=surrogate,
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 422 and "lone surrogate" in answer.json()["detail"]
    for body, message in (
        ({"names": []}, "at least 1 item"),
        ({"names": ["two"], "slots": 0}, "greater than or equal to 1"),
        ({"names": ["two"], "slots": 3}, "more than the limit of 'two' (2)"),
        ({"names": ["two"], "mode": "rate_limit"}, "have none: 'two'"),
        ({"names": ["two"], "wait": 3600}, "less than or equal to 60"),
        ({"names": ["two"], "holder": {"x": "y" * 20_000}}, "at most 10,000 characters"),
    ):
        answer = client.post(f"{BASE}/increment-with-lease", json=body)
        assert answer.status_code == 422 and message in answer.json()["detail"], answer.text
    bad_json = client.post(BASE, content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422
    assert client.post(f"{BASE}/leases/x%00y/renew", json={}).status_code == 422
