"""Adopting a flow run a server holds: created there ahead of time (Scheduled, through the API,
as a scheduler does), run by this process with ``CADENZA_API_URL`` set, recorded there once."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest

from cadenza import flow, task
from cadenza.backends import reset_backend
from cadenza.engine.adoption import AdoptedRun, adopting
from cadenza.settings import spec
from cadenza.states import Scheduled

pytestmark = pytest.mark.slow


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def server(sqlite_server, monkeypatch):
    monkeypatch.setenv("CADENZA_API_URL", sqlite_server.url)
    monkeypatch.delenv("CADENZA_API_KEY", raising=False)
    spec.reset_cache()
    reset_backend()
    yield sqlite_server
    reset_backend()


def schedule_on(url: str) -> str:
    run_id = str(uuid.uuid4())
    body = {"id": run_id, "name": "nightly-7", "flow_name": "adopted-etl",
            "parameters": {"n": 3}, "tags": ["nightly"], "created": time.time()}  # fmt: skip
    assert httpx.post(f"{url}/flow_runs", json=body).status_code == 201
    state = {"type": "SCHEDULED", "name": "Scheduled", "timestamp": time.time(),
             "state_details": {"scheduled_time": time.time()}}  # fmt: skip
    answer = httpx.post(f"{url}/flow_runs/{run_id}/set_state",
                        json={"transition_id": f"{run_id}:1", "state": state})  # fmt: skip
    assert answer.json()["decision"] == "ACCEPT", answer.text
    return run_id


def test_a_server_run_is_adopted_leased_and_recorded_once(server) -> None:
    db = Path(server.database_url.removeprefix("sqlite:///"))
    run_id = schedule_on(server.url)
    leases: list[float | None] = []

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow(name="adopted-etl")
    def etl(n: int) -> int:
        (lease,) = rows(db, "SELECT lease_expires FROM flow_runs WHERE id = ?", run_id)[0]
        leases.append(lease)
        return sum(double(i) for i in range(n))

    with adopting(AdoptedRun(run_id, "nightly-7", Scheduled(), 0, ["nightly"])):
        assert etl(n=3) == 6
    reset_backend()  # flush the task runs' batch
    assert leases[0] is not None and leases[0] > time.time() - 60  # renewed from the start
    # the server is the session's: other tests' runs are there too
    assert rows(db, "SELECT id, state_type, run_count FROM flow_runs WHERE name = 'nightly-7'"
                " AND flow_name = 'adopted-etl'") == [(run_id, "COMPLETED", 1)]  # fmt: skip
    states = rows(db, "SELECT name FROM run_states WHERE run_id = ? ORDER BY id", run_id)
    assert [s for (s,) in states] == ["Scheduled", "Pending", "Running", "Completed"]
    tasks = rows(db, "SELECT state_type FROM task_runs WHERE flow_run_id = ?", run_id)
    assert tasks == [("COMPLETED",)] * 3
