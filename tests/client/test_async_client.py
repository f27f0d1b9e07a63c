"""`AsyncApiClient` against a real server process: the same routes as the synchronous client,
awaited; the same retry policy (Retry-After, ServerUnavailable) and errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cadenza_live_server import LiveServer, free_port

from cadenza.client.http import ApiError, AsyncApiClient, NotFound, ServerUnavailable
from cadenza.exceptions import ServerIncompatible

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    home = tmp_path / "server-home"
    home.mkdir()
    live = LiveServer(home, api_key="async-key").start()
    yield live
    live.stop()


def test_routes_work_awaited(server: LiveServer) -> None:
    async def main() -> tuple:
        async with AsyncApiClient(server.url, api_key="async-key") as client:
            version = await client.check_version()
            await client.create_flow_run({"id": "r1", "name": "n", "flow_name": "etl",
                                          "created": time.time()})  # fmt: skip
            decision = await client.set_state(
                "r1", {"transition_id": "r1:1", "state": {"type": "PENDING",
                                                          "timestamp": time.time()}},
            )  # fmt: skip
            await client.set_variable("limit", {"n": 3})
            return (
                version["api_version"],
                decision["decision"],
                [r["id"] for r in await client.list_flow_runs()],
                (await client.get_variable("limit"))["value"],
                [f["name"] for f in await client.list_flows()],
            )

    assert asyncio.run(main()) == (1, "ACCEPT", ["r1"], {"n": 3}, ["etl"])


def test_errors_are_the_synchronous_client_s(server: LiveServer) -> None:
    async def main() -> None:
        async with AsyncApiClient(server.url, api_key="async-key") as client:
            with pytest.raises(NotFound):
                await client.get_variable("missing")
            with pytest.raises(ApiError) as refused:
                await client.set_variable("Bad Name", 1)
            assert refused.value.status == 422
        async with AsyncApiClient(server.url, api_key="wrong") as client:
            with pytest.raises(ApiError) as unauthorised:
                await client.check_version()
            assert unauthorised.value.status == 401

    asyncio.run(main())


def test_an_unreachable_server_is_retried_then_unavailable() -> None:
    async def main() -> float:
        url = f"http://127.0.0.1:{free_port()}/api"
        async with AsyncApiClient(url, retry_time=0.5, backoff=0.05) as client:
            started = time.monotonic()
            with pytest.raises(ServerUnavailable, match="cannot reach the server"):
                await client.health()
            return time.monotonic() - started

    elapsed = asyncio.run(main())
    assert 0.1 < elapsed < 3  # it retried for a while, then gave up


def test_a_url_that_is_not_a_cadenza_server_is_incompatible(server: LiveServer) -> None:
    async def main() -> None:
        base = server.url.removesuffix("/api") + "/not-the-api"
        async with AsyncApiClient(base, api_key="async-key") as client:
            with pytest.raises(ServerIncompatible):
                await client.check_version()

    asyncio.run(main())
