"""Every time the API answers is an ISO 8601 UTC string (docs/reference/http-api.md, "Times"):
a representative answer of each kind of resource is walked, over SQLite and PostgreSQL, and each
time in it must be ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`` and read back as the instant stored,
microseconds kept. A number left under a key that names a time fails, whatever the key.

# Prefect 3.9.1: its API answers times as ISO 8601 strings (``FlowRun.created`` serialises as
# "2024-05-01T12:00:03.417202Z"); cadenza answers the same instants with a "+00:00" offset.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from cadenza._times import OPAQUE_KEYS, TIME_KEYS, epoch

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")
TIME_LIKE = re.compile(
    r"(created|updated|time|timestamp|occurred|heartbeat|expir|expires|due|_at|since|until)$"
)
DURATIONS = frozenset({"duration_seconds", "total_run_time", "estimated_run_time", "bucket_seconds",
                       "lease_seconds", "delay"})  # fmt: skip


def _times(answer: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every time in an answer, failing on a number under a time-like key."""
    found: list[tuple[str, Any]] = []
    if isinstance(answer, list):
        for item in answer:
            found += _times(item, path + "[]")
    elif isinstance(answer, dict):
        for key, value in answer.items():
            where = f"{path}.{key}"
            if key in OPAQUE_KEYS:
                continue
            if key in TIME_KEYS:
                found.append((where, value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                assert not (TIME_LIKE.search(key) and key not in DURATIONS), (where, value)
            found += _times(value, where)
    return found


def _check(answer: Any, expected: dict[str, float] | None = None) -> list[tuple[str, Any]]:
    """Each time is an ISO 8601 UTC string; those named in `expected` (path → epoch) read back
    to exactly that instant. Returns the times found."""
    times = _times(answer)
    for where, value in times:
        if value is None:
            continue
        assert isinstance(value, str) and ISO_UTC.match(value), (where, value)
        assert epoch(value) is not None
    seen = dict(times)
    for where, stored in (expected or {}).items():
        assert where in seen, (where, sorted(seen))
        assert seen[where] == datetime.fromtimestamp(stored, timezone.utc).isoformat(), where
        assert abs((epoch(seen[where]) or 0) - stored) < 1e-6, where
    return times


def _ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_every_answered_time_is_iso_8601_utc(any_client) -> None:
    client = any_client
    t0 = round(time.time() - 120, 6) + 0.000123  # microseconds that must survive the trip
    run_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    _ok(client.post("/api/flow_runs", json={
        "id": run_id, "name": "iso-run", "flow_name": "iso-flow", "parameters": {"created": 7},
        "tags": [], "created": t0,
    }))  # fmt: skip
    for i, kind in enumerate(("PENDING", "RUNNING")):
        _ok(client.post(f"/api/flow_runs/{run_id}/set_state", json={
            "transition_id": f"f{i}", "state": {"type": kind, "timestamp": t0 + 1 + i},
        }))  # fmt: skip
    batch = {
        "task_runs": [{"id": task_id, "flow_run_id": run_id, "name": "t-0", "task_name": "t",
                       "task_key": "m.t", "created": t0 + 3}],
        "transitions": [
            {"run_id": task_id, "flow_run_id": run_id, "transition_id": "t0",
             "state": {"type": "SCHEDULED", "name": "AwaitingRetry", "timestamp": t0 + 4,
                       "details": {"scheduled_time": t0 + 4.5}}},
            {"run_id": task_id, "flow_run_id": run_id, "transition_id": "t1",
             "state": {"type": "RUNNING", "timestamp": t0 + 5}},
        ],
        "logs": [{"flow_run_id": run_id, "task_run_id": task_id, "level": 20, "logger": "l",
                  "message": "hello", "timestamp": t0 + 6}],
        "artifacts": [{"id": str(uuid.uuid4()), "key": "iso-art", "type": "markdown",
                       "data": "# hi", "flow_run_id": run_id, "created": t0 + 7}],
        "cache_entries": [{"key": "iso-key", "result_ref": "r", "created": t0 + 8,
                           "expiration": t0 + 86400}],
    }  # fmt: skip
    assert _ok(client.post("/api/batch", json=batch))["rejected"] == []
    # an event's time may be sent as ISO 8601 (and is answered so)
    event_id = str(uuid.uuid4())
    occurred = datetime.fromtimestamp(t0 + 9, timezone.utc).isoformat()
    _ok(client.post("/api/events", json=[{
        "event": "iso.happened", "resource": {"cadenza.resource.id": "iso.thing"},
        "payload": {"created": 5}, "id": event_id, "occurred": occurred,
    }]))  # fmt: skip

    # runs, their states, task runs and logs
    run = _ok(client.get(f"/api/flow_runs/{run_id}"))
    _check(run, {".created": t0, ".start_time": t0 + 2, ".states[].timestamp": t0 + 2})
    assert run["parameters"] == {"created": 7}  # a user's value is never rewritten
    _check(_ok(client.get("/api/flow_runs", params={"flow_name": "iso-flow"})), {"[].created": t0})
    _check(_ok(client.get("/api/flow_runs/page", params={"q": "iso-run"})),
           {".items[].created": t0})  # fmt: skip
    _check(_ok(client.post("/api/flow_runs/filter", json={})),
           {"[].created": t0, "[].state.timestamp": t0 + 2})  # fmt: skip
    task_runs = _ok(client.get(f"/api/flow_runs/{run_id}/task_runs"))
    _check(task_runs, {"[].created": t0 + 3, "[].start_time": t0 + 5})
    task_run = _ok(client.get(f"/api/task_runs/{task_id}"))
    times = dict(_check(task_run, {".created": t0 + 3}))
    assert task_run["states"][0]["details"]["scheduled_time"] == datetime.fromtimestamp(
        t0 + 4.5, timezone.utc).isoformat()  # fmt: skip
    assert ".states[].timestamp" in times
    _check(_ok(client.post("/api/task_runs/filter", json={})), {"[].created": t0 + 3})
    _check(_ok(client.get(f"/api/flow_runs/{run_id}/logs")), {"[].timestamp": t0 + 6})
    _check(_ok(client.get("/api/logs", params={"flow_run_id": run_id})),
           {".items[].timestamp": t0 + 6})  # fmt: skip
    _check(_ok(client.post("/api/logs/filter", json={})), {"[].timestamp": t0 + 6})
    history = _ok(client.get("/api/flow_runs/history", params={"since": t0 - 60}))
    assert ISO_UTC.match(history["since"]) and ISO_UTC.match(history["until"])
    assert all(ISO_UTC.match(b["start"]) for b in history["buckets"])
    assert abs((epoch(history["since"]) or 0) - (t0 - 60)) < 1e-6
    _check(_ok(client.get("/api/flows")), {"[].last_flow_run.created": t0})

    # artifacts, cache entries, events
    _check(_ok(client.get("/api/artifacts", params={"key": "iso-art"})), {"[].created": t0 + 7})
    _check(_ok(client.post("/api/artifacts/filter", json={})), {"[].created": t0 + 7})
    _check(_ok(client.get("/api/cache_entries", params={"key": "iso-key"})),
           {".created": t0 + 8, ".expiration": t0 + 86400})  # fmt: skip
    events = _ok(client.post("/api/events/filter", json={"event": ["iso."]}))
    _check(events, {".events[].occurred": t0 + 9})
    assert events["events"][0]["payload"] == {"created": 5}

    # deployments, work pools and workers
    now = time.time()
    pool = _ok(client.post("/api/work_pools", json={"name": "iso-pool"}))
    deployment = _ok(client.post("/api/deployments", json={
        "flow_name": "iso-flow", "name": "d", "entrypoint": "f.py:f", "work_pool_name": "iso-pool",
    }))  # fmt: skip
    made = _ok(client.post(f"/api/deployments/{deployment['id']}/create_flow_run",
                           json={"scheduled_time": occurred}))  # fmt: skip
    _check(made, {".expected_start_time": t0 + 9})
    beat = _ok(client.post("/api/work_pools/iso-pool/workers/heartbeat",
                           json={"name": "w", "pid": 1, "hostname": "h"}))  # fmt: skip
    claim = _ok(client.post("/api/work_pools/iso-pool/claim", json={"worker": "w", "limit": 5}))
    workers = _ok(client.get("/api/work_pools/iso-pool/workers"))
    server_made = [pool, deployment, beat, claim, workers,
                   _ok(client.get(f"/api/deployments/{deployment['id']}")),
                   _ok(client.get("/api/deployments")), _ok(client.get("/api/work_pools/iso-pool"))]
    assert claim["runs"] and workers and workers[0]["last_heartbeat"]

    # automations, variables, blocks, concurrency limits, saved views, flow-run inputs
    server_made += [
        _ok(client.post("/api/automations", json={
            "name": "iso", "trigger": {"expect": ["iso.happened"]}, "actions": []})),
        _ok(client.get("/api/automations")),
        _ok(client.put("/api/variables/iso_var", json={"value": {"created": 3}})),
        _ok(client.get("/api/variables")),
        _ok(client.put("/api/blocks/secret/iso-block", json={
            "data": {"value": {"$cadenza-secret": "str", "value": "s"}}, "schema_checksum": "c"})),
        _ok(client.get("/api/blocks")),
        _ok(client.post("/api/concurrency_limits", json={"name": "iso-limit", "limit": 2})),
        _ok(client.post("/api/concurrency_limits/increment-with-lease",
                        json={"names": ["iso-limit"], "holder": {"type": "t"}})),
        _ok(client.get("/api/concurrency_limits/iso-limit")),
        _ok(client.post("/api/saved_views", json={"name": "iso", "page": "runs", "query": {}})),
        _ok(client.post(f"/api/flow_runs/{run_id}/input", json={"key": "k", "value": 1})),
    ]  # fmt: skip
    assert _ok(client.get("/api/variables/iso_var"))["value"] == {"created": 3}
    for answer in server_made:
        times = [v for _, v in _check(answer) if v is not None]
        assert times, answer
        for value in times:  # made by the test (the claimed run's schedule) or the server since
            assert t0 <= (epoch(value) or 0) <= now + 86400 + 5, (value, answer)


def test_times_in_request_bodies_may_be_iso_8601(any_client) -> None:
    # what an answer gave can be sent back as it came
    moment = "2025-01-02T03:04:05.678901+00:00"
    run_id = str(uuid.uuid4())
    _ok(any_client.post("/api/flow_runs", json={"id": run_id, "name": "n", "flow_name": "f",
                                                "created": moment}))  # fmt: skip
    assert _ok(any_client.get(f"/api/flow_runs/{run_id}"))["created"] == moment
    bad = any_client.post("/api/flow_runs", json={"id": str(uuid.uuid4()), "name": "n",
                                                  "flow_name": "f", "created": "yesterday"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "created"]
