"""The server's scheduler service, end to end: real server processes (uvicorn) on SQLite and
PostgreSQL create a deployment's runs at the schedule's times, and two of them on one database
never create a slot twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backends.server_process import ServerProcess

pytestmark = pytest.mark.integration

FAST = {"CADENZA_SERVER_SCHEDULER_INTERVAL": "0.2", "CADENZA_SERVER_REAPER_INTERVAL": "0.5"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    servers = []
    try:
        for i in range(2):
            home = tmp_path / f"server-{i}"
            home.mkdir()
            servers.append(ServerProcess(database_url, home, env=FAST).start())
        yield servers
    finally:
        for server in servers:
            server.stop()


def _deploy(url: str, schedule: dict, **extra: object) -> dict:
    body = {"flow_name": "etl", "name": "every", "entrypoint": "flows.py:etl",
            "schedules": [{"schedule": schedule}], **extra}  # fmt: skip
    answer = httpx.post(f"{url}/deployments", json=body, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_two_schedulers_create_each_slot_once_at_its_time(two_servers) -> None:
    first, second = two_servers
    anchor = "2020-01-01T00:00:00+00:00"
    deployment = _deploy(first.url, {"interval": 1.0, "anchor_date": anchor, "timezone": "UTC"})
    cron = _deploy(second.url, {"cron": "*/5 * * * *", "timezone": "Europe/Paris"}, name="cron")
    deadline = time.monotonic() + 30
    rows: list[dict] = []
    while time.monotonic() < deadline:
        with httpx.Client(timeout=30) as client:
            body = client.get(f"{first.url}/deployments/{deployment['id']}").json()
        assert body["id"] == deployment["id"]
        rows = _store_rows(first)
        counts = [sum(r["deployment_id"] == d["id"] for r in rows) for d in (deployment, cron)]
        if min(counts) >= 100:
            break
        time.sleep(0.2)
    mine = [r for r in rows if r["deployment_id"] == deployment["id"]]
    times = [r["expected_start_time"] for r in mine]
    now = time.time()
    ahead = [t for t in times if t > now + 1]
    assert 90 <= len(ahead) <= 100  # the default: the next 100 slots, topped up as they pass
    assert len(set(times)) == len(times)  # each slot once, though two schedulers ran
    assert all(t % 1 == 0 for t in times)  # on the anchor's second marks
    assert len({r["idempotency_key"] for r in mine}) == len(mine)
    cron_runs = sorted(r["expected_start_time"] for r in rows if r["deployment_id"] == cron["id"])
    assert len(cron_runs) >= 100 and all(t % 300 == 0 for t in cron_runs)  # every 5 minutes
    assert len(cron_runs) == len(set(cron_runs))


def _store_rows(server: ServerProcess) -> list[dict]:
    import sqlalchemy as sa

    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT deployment_id, expected_start_time, idempotency_key FROM flow_runs "
                "WHERE deployment_id IS NOT NULL"
            )).mappings().all()  # fmt: skip
            return [dict(r) for r in rows]
    finally:
        engine.dispose()
