"""``cadenza runs show --json`` and ``runs logs`` against a real server read the whole run page
by page, and print exactly what they print from the embedded record of the same file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cadenza_live_server import LiveServer
from click.testing import CliRunner

from cadenza.cli.main import cli
from cadenza.client import pages
from cadenza.client.http import ApiClient, AsyncApiClient
from cadenza.store import queries

pytestmark = pytest.mark.slow

TASKS, LOGS, SUBFLOWS = 25, 40, 9


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    home = tmp_path / "server-home"
    home.mkdir()
    live = LiveServer(home).start()
    yield live
    live.stop()


def _state(kind: str, ts: float) -> dict:
    return {"type": kind, "name": kind.title(), "message": None, "timestamp": ts}


def _seed(url: str) -> str:
    now = time.time()
    run = {"id": "run-1", "name": "big-run", "flow_name": "etl", "parameters": {"n": 3},
           "tags": ["nightly"], "created": now}  # fmt: skip
    with ApiClient(url) as client:
        client.create_flow_run(run)
        for n, kind in enumerate(("PENDING", "RUNNING", "COMPLETED")):
            client.set_state("run-1", {"transition_id": f"f:{n}", "run_count": 1,
                                       "state": _state(kind, now + n)})  # fmt: skip
        for i in range(SUBFLOWS):
            client.create_flow_run({**run, "id": f"sub-{i}", "name": f"sub-{i}",
                                    "parent_flow_run_id": "run-1", "created": now + i})  # fmt: skip
        tasks = [
            {"id": f"t{i:03d}", "flow_run_id": "run-1", "name": f"double-{i}",
             "task_name": "double", "task_key": "m.double", "created": now + i}
            for i in range(TASKS)
        ]  # fmt: skip
        transitions = [
            {"run_id": t["id"], "flow_run_id": "run-1", "transition_id": f"{t['id']}:{n}",
             "run_count": 1, "state": _state(kind, now + n)}
            for t in tasks
            for n, kind in enumerate(("PENDING", "RUNNING", "COMPLETED"))
        ]  # fmt: skip
        logs = [
            {"flow_run_id": "run-1", "task_run_id": tasks[i % TASKS]["id"], "level": 20,
             "logger": "cadenza.task_runs", "message": f"line {i}", "timestamp": now + i}
            for i in range(LOGS)
        ]  # fmt: skip
        answer = client.batch({"task_runs": tasks, "transitions": transitions, "logs": logs})
        assert answer["accepted"] == len(transitions)
    return "run-1"


def test_runs_show_and_logs_page_through_the_whole_run(server, monkeypatch, tmp_path) -> None:
    run_id = _seed(server.url)
    monkeypatch.setattr(pages, "PAGE", 7)  # many pages of each kind
    runner = CliRunner()

    monkeypatch.setenv("CADENZA_API_URL", server.url)
    shown = runner.invoke(cli, ["runs", "show", "run-", "--json"])
    assert shown.exit_code == 0, shown.output
    logs = runner.invoke(cli, ["runs", "logs", run_id])
    assert logs.exit_code == 0, logs.output

    expected = queries.get_flow_run(sqlite3.connect(server.db), run_id)
    assert len(expected["task_runs"]) == TASKS and len(expected["logs"]) == LOGS
    assert len(expected["subflow_runs"]) == SUBFLOWS
    assert json.loads(shown.output) == expected
    assert [line.rsplit(" - ", 1)[1] for line in logs.output.splitlines()] == [
        f"line {i}" for i in range(LOGS)
    ]

    # the same record read as the embedded record: the same bytes
    monkeypatch.delenv("CADENZA_API_URL")
    monkeypatch.setenv("CADENZA_HOME", str(server.home))
    embedded = runner.invoke(cli, ["runs", "show", "run-", "--json"])
    assert embedded.exit_code == 0, embedded.output
    assert embedded.output == shown.output
    assert runner.invoke(cli, ["runs", "logs", run_id]).output == logs.output


def test_the_async_client_has_the_page_routes(server) -> None:
    run_id = _seed(server.url)

    async def main() -> tuple:
        async with AsyncApiClient(server.url) as client:
            summary = await client.get_flow_run(run_id)
            tasks = await client.get_task_runs_page(run_id, limit=10, offset=20)
            logs = await client.get_logs(run_id, limit=5, after=3)
            subflows = await client.get_subflow_runs_page(run_id, limit=100)
            return summary, tasks, logs, subflows

    summary, tasks, logs, subflows = asyncio.run(main())
    assert summary["counts"]["task_runs"] == TASKS
    assert [t["id"] for t in tasks] == [f"t{i:03d}" for i in range(20, TASKS)]
    assert [line["id"] for line in logs] == [4, 5, 6, 7, 8]
    assert len(subflows) == SUBFLOWS
