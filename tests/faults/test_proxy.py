"""The fault proxy itself, in front of a real server process: it forwards faithfully (keep-alive,
chunked bodies, the server's answers byte for byte), each fault does what it says, and its rules
pick the requests they should."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from faults.proxy import FaultProxy, delay, drop_response, reset, respond

pytestmark = pytest.mark.slow


@pytest.fixture
def proxy(sqlite_server) -> Iterator[FaultProxy]:
    with FaultProxy(sqlite_server.url).start() as proxy:
        yield proxy


def flow_run(run_id: str) -> dict:
    return {"id": run_id, "name": run_id, "flow_name": "proxied", "created": 1_700_000_000.0}


def exists(server, run_id: str) -> bool:
    return httpx.get(f"{server.url}/flow_runs/{run_id}").status_code == 200


def test_forwards_requests_and_answers_as_they_are(sqlite_server, proxy) -> None:
    direct = httpx.get(f"{sqlite_server.url}/version")
    proxied = httpx.get(f"{proxy.url}/version")
    assert proxied.status_code == direct.status_code == 200
    assert proxied.content == direct.content
    assert proxied.headers["content-type"] == direct.headers["content-type"]
    missing = httpx.get(f"{proxy.url}/flow_runs/no-such-run")
    assert missing.status_code == 404 and "no-such-run" in missing.text
    assert proxy.statuses() == [200, 404]


def test_keeps_connections_alive_and_forwards_chunked_bodies(sqlite_server, proxy) -> None:
    run_id = f"chunked-{uuid.uuid4().hex}"
    body = httpx.Request("POST", "/", json=flow_run(run_id)).content

    def chunks() -> Iterator[bytes]:  # no length known up front: sent chunked
        yield body[:10]
        yield body[10:]

    with httpx.Client(base_url=proxy.url) as client:
        for _ in range(5):
            assert client.get("/health").status_code == 200
        created = client.post("/flow_runs", content=chunks(),
                              headers={"content-type": "application/json"})  # fmt: skip
        assert created.status_code == 201, created.text
        assert client.get(f"/flow_runs/{run_id}").json()["id"] == run_id
    assert len(proxy.exchanges) == 7
    assert proxy.connections == 1, "the client's keep-alive connection was not kept"
    assert exists(sqlite_server, run_id)


def test_drop_response_lets_the_server_commit_and_the_client_see_no_answer(
    sqlite_server, proxy
) -> None:
    rule = proxy.inject(drop_response(), method="POST", path="/api/flow_runs")
    run_id = f"dropped-{uuid.uuid4().hex}"
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{proxy.url}/flow_runs", json=flow_run(run_id))
    assert rule.fired == 1 and proxy.injected("drop_response") == 1
    assert proxy.exchanges[-1].status == 201, "the server answered (and committed)"
    assert exists(sqlite_server, run_id)


def test_reset_refuses_the_request_before_the_server_sees_it(sqlite_server, proxy) -> None:
    proxy.inject(reset(), path="/api/flow_runs")
    run_id = f"reset-{uuid.uuid4().hex}"
    with pytest.raises(httpx.TransportError) as caught:
        httpx.post(f"{proxy.url}/flow_runs", json=flow_run(run_id))
    assert "reset" in repr(caught.value).lower()
    assert proxy.injected("reset") == 1 and proxy.exchanges[-1].status is None
    assert not exists(sqlite_server, run_id)


def test_a_delayed_response_outlasts_the_client_timeout_after_the_commit(
    sqlite_server, proxy
) -> None:
    proxy.inject(delay(response=1.0), path="/api/flow_runs", times=1)
    run_id = f"late-{uuid.uuid4().hex}"
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{proxy.url}/flow_runs", json=flow_run(run_id), timeout=0.3)
    assert exists(sqlite_server, run_id)


def test_a_delayed_request_reaches_the_server_late(sqlite_server, proxy) -> None:
    proxy.inject(delay(request=0.5), path="/api/health")
    started = time.monotonic()
    assert httpx.get(f"{proxy.url}/health").status_code == 200
    assert time.monotonic() - started >= 0.5
    assert proxy.injected("delay") == 1


def test_respond_answers_without_the_server(sqlite_server, proxy) -> None:
    proxy.inject(respond(503, retry_after=2), path="/api/flow_runs")
    run_id = f"unavailable-{uuid.uuid4().hex}"
    answer = httpx.post(f"{proxy.url}/flow_runs", json=flow_run(run_id))
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert "fault proxy" in answer.json()["detail"]
    assert not exists(sqlite_server, run_id)


def test_respond_after_forwarding_hides_the_commit(sqlite_server, proxy) -> None:
    def located(request) -> dict:
        return {"detail": "bad", "errors": [{"loc": ["body", "id"], "msg": request.json()["id"]}]}

    proxy.inject(respond(422, located, forward=True), path="/api/flow_runs")
    run_id = f"hidden-{uuid.uuid4().hex}"
    answer = httpx.post(f"{proxy.url}/flow_runs", json=flow_run(run_id))
    assert answer.status_code == 422 and answer.json()["errors"][0]["msg"] == run_id
    assert proxy.exchanges[-1].status == 201
    assert exists(sqlite_server, run_id)


def faulted(proxy: FaultProxy, n: int) -> list[int]:
    """Send `n` health checks on one connection; the numbers (1-based) of those faulted."""
    with httpx.Client(base_url=proxy.url) as client:
        return [i for i in range(1, n + 1) if client.get("/health").status_code == 599]


def test_nth_every_times_and_filters_pick_requests(proxy) -> None:
    proxy.inject(respond(599), path="/api/health", nth=(2, 3))
    proxy.inject(respond(599), path="/api/health", every=4, times=2)
    proxy.inject(respond(599), path="/api/version")  # never matches a health check
    assert faulted(proxy, 12) == [2, 3, 4, 8]


def test_a_window_faults_everything_for_its_seconds(proxy) -> None:
    rule = proxy.inject(respond(599), path="/api/health", nth=3, seconds=0.4)
    assert faulted(proxy, 4) == [3, 4]
    time.sleep(0.5)
    assert faulted(proxy, 3) == []
    assert rule.fired == 2


def test_a_rate_with_a_seed_faults_the_same_requests_each_time(sqlite_server) -> None:
    picks = []
    for _ in range(2):
        with FaultProxy(sqlite_server.url).start() as proxy:
            proxy.inject(respond(599), rate=0.3, seed=7)
            picks.append(faulted(proxy, 40))
    assert picks[0] == picks[1]
    assert 4 <= len(picks[0]) <= 20, picks[0]


def test_clear_removes_the_rules_and_stop_closes_connections(sqlite_server) -> None:
    proxy = FaultProxy(sqlite_server.url).start()
    proxy.inject(respond(599))
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/health").status_code == 599
        proxy.clear()
        assert client.get("/health").status_code == 200
        proxy.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/health")
