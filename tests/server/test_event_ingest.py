"""`POST /api/events`: events sent to the server are validated whole, kept once per id, and
read back from the stream; hostile input gets the API's one 422 and nothing is stored."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from cadenza._times import epoch
from cadenza.events.schemas.events import MAX_EVENT_BYTES


def event(**fields: Any) -> dict[str, Any]:
    base = {"event": "acme.order.placed", "resource": {"prefect.resource.id": "acme.order.1"},
            "id": str(uuid.uuid4()), "payload": {"total": 42}}  # fmt: skip
    return {**base, **fields}


def post(client, events: list[dict[str, Any]]):
    # as JSON text with \\u escapes, so a lone surrogate travels as a client could send it
    return client.post(
        "/api/events", content=json.dumps(events), headers={"Content-Type": "application/json"}
    )


def stored(client) -> list[dict[str, Any]]:
    page = client.post("/api/events/filter", json={"event": ["acme."]}).json()
    return page["events"]


def test_events_are_stored_once_per_id_and_read_back_with_cadenza_labels(any_client) -> None:
    # recent, so the server's retention service (events kept for days) does not delete it mid-test
    when = int(time.time()) - 60 + 0.5
    first, second = event(), event(event="acme.order.shipped", occurred=when)
    answer = post(any_client, [first, second])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"stored": 2, "duplicates": 0}
    assert post(any_client, [first]).json() == {"stored": 0, "duplicates": 1}

    events = {e["id"]: e for e in stored(any_client)}
    assert set(events) == {first["id"], second["id"]}
    assert events[first["id"]]["resource"] == {"cadenza.resource.id": "acme.order.1"}
    assert events[first["id"]]["payload"] == {"total": 42}
    assert epoch(events[second["id"]]["occurred"]) == when  # answered as ISO 8601


HOSTILE = {
    "a payload of 1 MB": event(payload={"blob": "x" * 1_000_000}),
    "a lone surrogate in the name": event(event="acme.\ud800"),
    "a lone surrogate in the payload": event(payload={"k": ["a\udc00"]}),
    "NUL in a label": event(resource={"cadenza.resource.id": "acme\x00order"}),
    "NUL in the payload": event(payload={"note": "a\x00b"}),
    "a resource that is not a dict": event(resource="acme.order.1"),
    "a resource without an id": event(resource={"name": "order"}),
    "a related resource without a role": event(related=[{"cadenza.resource.id": "x"}]),
    "a label that is not text": event(resource={"cadenza.resource.id": "r", "n": 5}),
    "an id that is not a UUID": event(id="not-a-uuid"),
}


@pytest.mark.parametrize("bad", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_events_are_refused_whole_with_the_one_error_shape(client, bad) -> None:
    good = event()
    answer = post(client, [good, bad])
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["detail"].startswith("Invalid request: body.1")
    assert body["errors"][0]["loc"][:2] == ["body", 1]
    assert "\n" not in body["detail"] and "x" * 100 not in answer.text
    assert stored(client) == []  # not even the good one: nothing is stored half


def test_the_size_limit_is_the_encoded_event(client) -> None:
    room = MAX_EVENT_BYTES - len(json.dumps(event(payload={"blob": ""}))) - 200
    assert post(client, [event(payload={"blob": "x" * room})]).status_code == 200
    assert post(client, [event(payload={"blob": "x" * MAX_EVENT_BYTES})]).status_code == 422


def test_at_most_a_thousand_events_in_one_request(client) -> None:
    answer = post(client, [event() for _ in range(1001)])
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body"]
    assert stored(client) == []


def test_a_batch_carries_events_and_a_bad_one_is_located(client) -> None:
    good, bad = event(), event(resource={"name": "no id"})
    answer = client.post("/api/batch", json={"events": [good, bad]})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"][:3] == ["body", "events", 1]
    assert client.post("/api/batch", json={"events": [good]}).status_code == 200
    assert [e["id"] for e in stored(client)] == [good["id"]]
