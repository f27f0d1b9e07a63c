"""A task run's creation reaches the server before its transitions, however the engine's
threads and the sender interleave (issue 12, defect 2): the sender takes transitions from the
queue before the runs they name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cadenza.backends import http as http_backend
from cadenza.backends.http import HttpBackend
from cadenza.client.http import ApiClient
from cadenza.client.spool import Spool
from cadenza.runs import FlowRun, TaskRun
from cadenza.states import Completed, Pending, Running

pytestmark = pytest.mark.slow


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_run_created_while_the_sender_drains_keeps_its_transitions(
    sqlite_server, cadenza_home, monkeypatch
) -> None:
    client = ApiClient(sqlite_server.url, retry_time=2)
    backend = HttpBackend(client, flush_interval=3600, spool=Spool(cadenza_home / "spool"))
    flow_run = FlowRun("ordering", "ordering-run", {})
    backend.create_flow_run(flow_run)
    backend.propose(flow_run, Pending())
    backend.propose(flow_run, Running())
    late: list[TaskRun] = []
    take_runs = http_backend.take_runs

    def take_runs_while_a_thread_creates_a_run(queue):
        taken = take_runs(queue)
        if not late:  # the engine, in another thread, between the sender's two takes
            run = TaskRun("t", "mod.t", "t-late", flow_run.id)
            backend.create_task_run(run)
            backend.propose(run, Pending())
            late.append(run)
        return taken

    monkeypatch.setattr(http_backend, "take_runs", take_runs_while_a_thread_creates_a_run)
    first = TaskRun("t", "mod.t", "t-first", flow_run.id)
    backend.create_task_run(first)
    backend.propose(first, Pending())
    backend.flush()
    monkeypatch.setattr(http_backend, "take_runs", take_runs)
    for run in (first, *late):
        backend.propose(run, Running())
        backend.propose(run, Completed())
    backend.propose(flow_run, Completed())
    backend.close()

    db = Path(sqlite_server.database_url.removeprefix("sqlite:///"))
    states = rows(
        db,
        "SELECT t.name, s.type FROM run_states s JOIN task_runs t ON t.id = s.run_id "
        f"WHERE t.flow_run_id = '{flow_run.id}' ORDER BY s.id",
    )
    assert sorted(states) == sorted(
        [(name, kind) for name in ("t-first", "t-late") for kind in ("PENDING", "RUNNING",
                                                                       "COMPLETED")]
    )  # fmt: skip
    assert not (cadenza_home / "dead-letter.jsonl").exists()
