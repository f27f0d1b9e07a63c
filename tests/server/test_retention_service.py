"""The retention service of a real server process (SQLite, PostgreSQL) applies the
``CADENZA_RETENTION_*`` TTLs on its own: old log lines, events and finished flow runs go; what
is young, and everything of a run still going, stays."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from backends.server_process import ServerProcess
from cadenza.client.http import ApiClient
from cadenza.store import urls
from cadenza.store.tables import events, flow_runs, logs

pytestmark = pytest.mark.integration

DAY = 86400.0
SETTINGS = {"CADENZA_RETENTION_INTERVAL": "0.2", "CADENZA_RETENTION_LOGS": "30d",
            "CADENZA_RETENTION_EVENTS": "7d", "CADENZA_RETENTION_FLOW_RUNS": "90d"}  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    urls.prepare(database_url)  # migrate first: the rows below are there when it starts
    home = tmp_path / "server-home"
    home.mkdir()
    process = ServerProcess(database_url, home, env=SETTINGS)
    yield process
    process.stop()


def _run(api: ApiClient, *, age: float, final: bool = True, lines: tuple[float, ...]) -> str:
    run_id = str(uuid.uuid4())
    created = time.time() - age
    api.create_flow_run({"id": run_id, "name": "n", "flow_name": "etl", "created": created})
    kinds = ["PENDING", "RUNNING", *(["COMPLETED"] if final else [])]
    for tid, kind in enumerate(kinds):
        body = {"transition_id": f"t{tid}",
                "state": {"type": kind, "name": kind.title(), "timestamp": created}}  # fmt: skip
        assert api.set_state(run_id, body)["decision"] == "ACCEPT"
    batch = {"logs": [{"flow_run_id": run_id, "level": 20, "logger": "l", "message": "m",
                       "timestamp": time.time() - line_age} for line_age in lines]}  # fmt: skip
    api.batch(batch)
    return run_id


def _count(url: str, query: Any) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def test_the_service_applies_the_ttls(server: ServerProcess, database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(events.insert(), [
            {"id": str(uuid.uuid4()), "occurred": time.time() - age * DAY,
             "event": "cadenza.flow-run.Completed", "resource_id": "cadenza.flow-run.x"}
            for age in (1, 2, 10, 20)])  # fmt: skip
    engine.dispose()
    server.start()
    with ApiClient(server.url, retry_time=5) as api:
        ancient = _run(api, age=100 * DAY, lines=(100 * DAY,))
        done = _run(api, age=40 * DAY, lines=(40 * DAY, 35 * DAY, 1 * DAY))
        going = _run(api, age=40 * DAY, final=False, lines=(40 * DAY, 35 * DAY))

    def lines_of(run_id: str) -> int:
        return _count(database_url, sa.select(sa.func.count()).where(logs.c.flow_run_id == run_id))

    def runs(run_id: str) -> int:
        return _count(database_url, sa.select(sa.func.count()).where(flow_runs.c.id == run_id))

    def settled() -> bool:
        events_left = _count(database_url, sa.select(sa.func.count(events.c.seq)))
        return lines_of(done) == 1 and events_left == 2 and runs(ancient) == lines_of(ancient) == 0

    deadline = time.monotonic() + 60
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lines_of(done) == 1  # the young line stays
    assert lines_of(going) == 2  # a run still going keeps its lines, however old
    assert _count(database_url, sa.select(sa.func.count(events.c.seq))) == 2
    assert runs(ancient) == 0 and lines_of(ancient) == 0
    assert runs(going) == 1 and runs(done) == 1
