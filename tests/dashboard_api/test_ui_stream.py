"""``GET /api/stream``: server-sent state changes and log lines for a filter, resumable from the
cursor each event carries — against a real server process (SQLite, then PostgreSQL), read while
another thread records a flow run, disconnecting mid-stream."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dashboard_writes import new_id, task, transition

from backends.server_process import ServerProcess

KEY = "stream-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
TASK_STATES = ("PENDING", "RUNNING", "COMPLETED")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def server(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("stream")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'server.db'}"
    else:
        url = request.getfixturevalue("postgres_cluster").create_database()
    proc = ServerProcess(url, home, env={"CADENZA_SERVER_API_KEY": KEY}).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as c:
        yield c


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _run(client: httpx.Client, flow_name: str = "etl") -> str:
    run_id = new_id()
    body = {"id": run_id, "name": f"r-{run_id[:6]}", "flow_name": flow_name,
            "created": time.time()}  # fmt: skip
    _ok(client.post("/flow_runs", json=body))
    return run_id


def _set_state(client: httpx.Client, run_id: str, kind: str) -> None:
    body = {"transition_id": new_id(), "state": {"type": kind, "timestamp": time.time()}}
    assert _ok(client.post(f"/flow_runs/{run_id}/set_state", json=body))["decision"] == "ACCEPT"


def _line(run_id: str, message: str, level: int = 20) -> dict[str, Any]:
    return {"flow_run_id": run_id, "task_run_id": None, "level": level, "logger": "t",
            "message": message, "timestamp": time.time(), "id": new_id()}  # fmt: skip


def _events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The events of an SSE answer as they come: ``{"event", "id", "data"}``; a block with a
    comment (a keep-alive) has ``"comment"``. (Read from the raw bytes: httpx's line reader
    holds a line back until more bytes come.)"""
    buffer = b""
    for chunk in response.iter_raw():
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            event: dict[str, Any] = {}
            for line in block.decode().split("\n"):
                if line.startswith(":"):
                    event["comment"] = line[1:].strip()
                else:
                    name, _, value = line.partition(":")
                    event[name] = value.removeprefix(" ")
            if "data" in event:
                event["data"] = json.loads(event["data"])
            yield event


def test_the_api_key_guards_the_stream(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/stream", timeout=10).status_code == 401
    with httpx.stream("GET", f"{server.url}/stream", headers=AUTH, timeout=10) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        first = next(_events(r))
    assert first["event"] == "ready" and first["id"] == first["data"]


def test_bad_input_is_a_422_naming_the_field(client: httpx.Client) -> None:
    r = client.get("/stream", headers={"Last-Event-ID": "yesterday"})
    assert r.status_code == 422 and "last-event-id" in r.text
    r = client.get("/stream", params={"cursor": "1-x"})
    assert r.status_code == 422 and "cursor" in r.text
    assert client.get("/stream", params={"flow_run_id": "no-such-run"}).status_code == 404


def test_a_reader_resumes_from_its_cursor_while_a_flow_writes(client: httpx.Client) -> None:
    """Read a few events, drop the connection, resume with Last-Event-ID, again and again while
    a writer records transitions and log lines: every line and state change exactly once."""
    run = _run(client)
    other = _run(client)  # written alongside: never in this run's stream
    with client.stream("GET", "/stream", params={"flow_run_id": run}) as r:
        cursor = next(_events(r))["id"]
    tasks = [task(run, name=f"t{i}", created=time.time()) for i in range(12)]
    done = threading.Event()

    def write() -> None:
        with httpx.Client(base_url=client.base_url, headers=AUTH, timeout=30) as w:
            now = time.time()
            for kind in ("PENDING", "RUNNING"):
                _set_state(w, run, kind)
            for i, t in enumerate(tasks):
                body = {"task_runs": [t],
                        "transitions": [transition(t["id"], run, kind, now + i + k / 4)
                                        for k, kind in enumerate(TASK_STATES)],
                        "logs": [_line(run, f"line {i}.{k}", 20 + 10 * (k % 3))
                                 for k in range(5)] + [_line(other, "elsewhere")]}  # fmt: skip
                assert not _ok(w.post("/batch", json=body))["rejected"]
                time.sleep(0.05)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[dict[str, Any]] = []
    connections = 0
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, f"{len(seen)} changes read"
        connections += 1
        idle = False
        with client.stream("GET", "/stream", params={"flow_run_id": run},
                           headers={"Last-Event-ID": cursor}) as r:  # fmt: skip
            assert r.status_code == 200
            taken = 0
            for event in _events(r):
                cursor = event.get("id", cursor)
                if event.get("event") in ("state", "log"):
                    seen.append(event)
                    taken += 1
                if taken >= 7:  # mid-stream: drop the connection
                    break
                if "comment" in event:  # a keep-alive: nothing new for a while
                    idle = True
                    break
        if idle and done.is_set():
            break
    writer.join()
    logs = [e["data"] for e in seen if e["event"] == "log"]
    states = [e["data"] for e in seen if e["event"] == "state"]
    recorded = _ok(client.get(f"/flow_runs/{run}/logs", params={"limit": 1000}))
    assert [line["id"] for line in logs] == [line["id"] for line in recorded]  # no gap, no twice
    assert len(logs) == 60 and {line["flow_run_id"] for line in logs} == {run}
    assert connections > 5
    flow_states = [s["state"]["type"] for s in states if s["kind"] == "flow-run"]
    assert flow_states == ["PENDING", "RUNNING"]
    task_states = [(s["run_id"], s["state"]["type"]) for s in states if s["kind"] == "task-run"]
    assert task_states == [(t["id"], kind) for t in tasks for kind in TASK_STATES]
    assert all(s["flow_run_id"] == run for s in states)
    ids = [e["id"] for e in seen]
    assert len(set(ids)) == len(ids)


def test_the_runs_list_filter_and_the_keep_alive(client: httpx.Client) -> None:
    mine, theirs = _run(client, "stream-a"), _run(client, "stream-b")
    params = {"flow_name": "stream-a", "log_level": 30}
    with client.stream("GET", "/stream", params=params) as r:
        events = _events(r)
        assert next(events)["event"] == "ready"
        for run in (theirs, mine):
            _set_state(client, run, "PENDING")
            _ok(client.post("/batch", json={"logs": [_line(run, "info"), _line(run, "warn", 30)]}))
        got: list[dict[str, Any]] = []
        started = time.monotonic()
        for event in events:
            got.append(event)
            if "comment" in event:
                break
        waited = time.monotonic() - started
    changes = [(e["event"], e["data"].get("flow_run_id")) for e in got if "event" in e]
    assert changes == [("state", mine), ("log", mine)]
    assert got[-1]["comment"] == "keep-alive" and got[-1]["id"]  # the cursor moves on too
    assert 3 < waited < 15
    log = next(e["data"] for e in got if e.get("event") == "log")
    assert (log["message"], log["level_name"]) == ("warn", "WARNING")


def test_a_server_asked_to_stop_ends_its_open_streams(tmp_path) -> None:
    """A graceful shutdown waits for open answers: the streams end at once instead."""
    proc = ServerProcess(f"sqlite:///{tmp_path / 's.db'}", tmp_path).start()
    try:
        with httpx.stream("GET", f"{proc.url}/stream", timeout=30) as r:
            events = _events(r)
            assert next(events)["event"] == "ready"
            started = time.monotonic()
            assert proc.proc is not None
            proc.proc.terminate()
            rest = list(events)  # the answer ends
            assert proc.proc.wait(timeout=8) in (0, -15)  # uvicorn re-raises the signal
        assert time.monotonic() - started < 5
        assert all("comment" in e for e in rest)
    finally:
        proc.stop()


def test_the_client_follows_the_stream_and_resumes(server: ServerProcess, client) -> None:
    from cadenza.client.errors import ApiError
    from cadenza.client.http import ApiClient

    run = _run(client)
    with ApiClient(server.url, api_key=KEY) as api:
        events = api.stream_changes(flow_run_id=run, log_level=30)
        ready = next(events)
        assert ready["event"] == "ready"
        _ok(client.post("/batch", json={"logs": [_line(run, "info"), _line(run, "w", 30)]}))
        got = next(events)
        events.close()
        assert (got["event"], got["data"]["message"]) == ("log", "w")
        _ok(client.post("/batch", json={"logs": [_line(run, "e", 40)]}))
        resumed = api.stream_changes(flow_run_id=run, cursor=got["id"])
        assert next(resumed) == {"event": "ready", "id": got["id"], "data": got["id"]}
        assert next(resumed)["data"]["message"] == "e"  # what followed "w", and only that
        resumed.close()
        with pytest.raises(ApiError) as refused:
            next(api.stream_changes(cursor="nonsense"))
        assert refused.value.status == 422


def test_the_async_client_follows_the_stream_and_resumes(server: ServerProcess, client) -> None:
    import asyncio

    from cadenza.client.errors import ApiError
    from cadenza.client.http import AsyncApiClient

    run = _run(client)

    async def follow() -> None:
        async with AsyncApiClient(server.url, api_key=KEY) as api:
            events = api.stream_changes(flow_run_id=run, log_level=30)
            assert (await anext(events))["event"] == "ready"
            _ok(client.post("/batch", json={"logs": [_line(run, "i"), _line(run, "w", 30)]}))
            got = await anext(events)
            await events.aclose()
            assert (got["event"], got["data"]["message"]) == ("log", "w")
            _ok(client.post("/batch", json={"logs": [_line(run, "e", 40)]}))
            resumed = api.stream_changes(flow_run_id=run, cursor=got["id"])
            assert (await anext(resumed))["event"] == "ready"
            assert (await anext(resumed))["data"]["message"] == "e"
            await resumed.aclose()
            with pytest.raises(ApiError) as refused:
                await anext(api.stream_changes(cursor="nonsense"))
            assert refused.value.status == 422

    asyncio.run(follow())
