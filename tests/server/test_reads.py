"""The read routes answer with exactly the JSON of `cadenza runs ls/show --json`.

A real flow is recorded by the embedded backend, then read through a server on the same file.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from server_helpers import TestClient, api_client

from cadenza import flow, get_run_logger, task
from cadenza.backends import reset_backend
from cadenza.client.pages import read_flow_run
from cadenza.server import reads
from cadenza.store import queries


@task(retries=1)
def double(x: int) -> int:
    get_run_logger().info("doubling %s", x)
    return 2 * x


@flow(tags=["nightly"])
def child(x: int) -> int:
    return double(x)


@flow(retries=2)
def etl(n: int = 3) -> int:
    get_run_logger().warning("starting")
    total = sum(double(i) for i in range(n))
    return total + child(n)


@pytest.fixture
def recorded(db_path: Path) -> str:
    """Run `etl` with the embedded backend; return its flow run id."""
    state = etl(3, return_state=True)
    reset_backend()  # flushed and closed: everything is on disk
    assert state.is_completed()
    conn = sqlite3.connect(db_path)
    (run_id,) = conn.execute("SELECT id FROM flow_runs WHERE flow_name = 'etl'").fetchone()
    return run_id


def _sqlite(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(db_path)


def test_show_equals_the_embedded_json(client, db_path: Path, recorded: str) -> None:
    """`runs show --json` in server mode (the summary, then every page) is the embedded one."""
    expected = queries.get_flow_run(_sqlite(db_path), recorded)
    assert expected["task_runs"] and expected["subflow_runs"] and expected["logs"]
    with api_client(client) as api:
        assert read_flow_run(api, recorded) == expected
        assert read_flow_run(api, recorded[:-4], page=1) == expected
    assert client.get(f"/api/flow_runs/{recorded}/logs").json() == expected["logs"]
    summary = client.get(f"/api/flow_runs/{recorded}").json()
    assert summary["counts"] == {
        "task_runs": 3,  # double(0..2); child's call of double is the subflow run's
        "task_runs_by_state": {"COMPLETED": 3},
        "subflow_runs": 1,
        "logs": len(expected["logs"]),
    }


def test_ls_equals_the_embedded_json(client, db_path: Path, recorded: str) -> None:
    expected = queries.list_flow_runs(_sqlite(db_path))
    assert len(expected) == 2
    assert client.get("/api/flow_runs").json() == expected
    latest = client.get("/api/flow_runs/latest").json()
    assert latest["id"] == expected[0]["id"]


def test_list_filters(client, recorded: str) -> None:
    def ids(query: str) -> list[str]:
        response = client.get(f"/api/flow_runs?{query}")
        assert response.status_code == 200, response.text
        return [r["flow_name"] for r in response.json()]

    assert ids("flow_name=etl") == ["etl"]
    assert ids("tag=nightly") == ["child"]
    assert ids("tag=night") == []
    assert ids("state=completed") == ["child", "etl"]
    assert ids("state=FAILED") == []
    assert ids("limit=1") == ["child"]
    assert ids("limit=1&offset=1") == ["etl"]
    assert ids("since=2000-01-01T00:00:00Z") == ["child", "etl"]
    assert ids("until=2000-01-01T00:00:00") == []
    assert ids("since=4102444800") == []  # 2100


def test_the_sqlalchemy_read_path_builds_the_same_json(db_path: Path, recorded: str) -> None:
    """The queries used for PostgreSQL, run here on SQLite through SQLAlchemy."""
    import sqlalchemy as sa

    conn = _sqlite(db_path)
    engine = sa.create_engine(f"sqlite:///{db_path}")
    try:
        with engine.connect() as sa_conn:
            assert reads.flow_run_summary(sa_conn, recorded) == (
                queries.flow_run_summary(conn, recorded)
            )
            whole = queries.get_flow_run(conn, recorded)
            assert reads.task_runs_page(sa_conn, recorded, 2, 1) == whole["task_runs"][1:3]
            assert reads.logs_page(sa_conn, recorded, 2, 0, None) == whole["logs"][:2]
            after = whole["logs"][0]["id"]
            assert reads.logs_page(sa_conn, recorded, 100, 0, after) == whole["logs"][1:]
            assert reads.subflow_runs_page(sa_conn, recorded, 5, 0) == whole["subflow_runs"]
            assert reads.list_flow_runs(sa_conn, limit=None) == queries.list_flow_runs(
                conn, limit=None
            )
            assert reads.list_flow_runs(sa_conn, tag="nightly", offset=0) == (
                queries.list_flow_runs(conn, tag="nightly")
            )
            assert reads.resolve_flow_run_id(sa_conn, recorded[:-4]) == recorded
            assert reads.resolve_flow_run_id(sa_conn, "latest") == (
                queries.resolve_flow_run_id(conn, "latest")
            )
            with pytest.raises(LookupError, match="No flow run"):
                reads.resolve_flow_run_id(sa_conn, "zzz")
    finally:
        engine.dispose()


def _replay(source: sqlite3.Connection, client: TestClient) -> None:
    """Send what the embedded backend recorded to a server, as a client would."""
    source.row_factory = sqlite3.Row
    transitions: dict[str, list[dict[str, Any]]] = {}
    for row in source.execute("SELECT * FROM run_states ORDER BY id"):
        transitions.setdefault(row["run_id"], []).append(dict(row))
    flows = [dict(r) for r in source.execute("SELECT * FROM flow_runs ORDER BY created")]
    tasks = [dict(r) for r in source.execute("SELECT * FROM task_runs ORDER BY created")]

    def state(t: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": t["type"],
            "name": t["name"],
            "message": t["message"],
            "timestamp": t["timestamp"],
            "details": json.loads(t["details"]) if t["details"] else None,
            "result_ref": run["result_ref"] if t["type"] == "COMPLETED" else None,
        }

    for run in flows:
        body = {**run, "parameters": json.loads(run["parameters"]), "tags": json.loads(run["tags"])}
        assert client.post("/api/flow_runs", json=body).status_code == 201
    for run in flows:
        for t in transitions.get(run["id"], []):
            body = {
                "transition_id": t["transition_id"],
                "run_count": run["run_count"],
                "state": state(t, run),
            }
            answer = client.post(f"/api/flow_runs/{run['id']}/set_state", json=body).json()
            assert answer["decision"] == "ACCEPT", answer
    batch = {
        "task_runs": [{**t, "tags": json.loads(t["tags"])} for t in tasks],
        "transitions": [
            {
                "run_id": t["run_id"],
                "flow_run_id": t["flow_run_id"],
                "transition_id": t["transition_id"],
                "run_count": run["run_count"],
                "state": state(t, run),
            }
            for run in tasks
            for t in transitions.get(run["id"], [])
        ],
        "logs": [
            dict(r)
            for r in source.execute(
                "SELECT flow_run_id, task_run_id, level, logger, message, timestamp FROM logs "
                "ORDER BY id"
            )
        ],
    }
    result = client.post("/api/batch", json=batch).json()
    assert result["rejected"] == [] and result["accepted"] == len(batch["transitions"])


def test_a_replayed_run_reads_back_identically(
    db_path: Path, recorded: str, tmp_path: Path
) -> None:
    """What the server writes is what the embedded record writes: same rows, same JSON."""
    from cadenza.server.app import create_app

    other = tmp_path / "server.db"
    with TestClient(create_app(f"sqlite:///{other}")) as client:
        _replay(_sqlite(db_path), client)
    original, replayed = _sqlite(db_path), _sqlite(other)
    assert queries.get_flow_run(replayed, recorded) == queries.get_flow_run(original, recorded)
    for table in ("flow_runs", "task_runs"):
        columns = "id, state_type, state_name, start_time, end_time, run_count, result_ref, retries"
        query = f"SELECT {columns} FROM {table} ORDER BY id"
        assert replayed.execute(query).fetchall() == original.execute(query).fetchall()
    query = "SELECT transition_id, run_id, flow_run_id, type, name, message, timestamp, details "
    query += "FROM run_states ORDER BY run_id, id"
    assert replayed.execute(query).fetchall() == original.execute(query).fetchall()
