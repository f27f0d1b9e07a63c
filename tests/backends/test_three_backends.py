"""The engine's behaviour on three backends: embedded, a real server on SQLite, on PostgreSQL.

Each test runs a flow in this process with the backend chosen by `CADENZA_API_URL` and reads
the run back through the CLI (`runs show <id> --json`, a fresh process with the same
environment: from the record, or from the server when `CADENZA_API_URL` is set).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from backends.server_process import ServerProcess
from cadenza import flow, get_run_logger, task

if TYPE_CHECKING:
    from backends.conftest import Backend

pytestmark = pytest.mark.slow

# -- flows ---------------------------------------------------------------------------------

_attempts: dict[str, int] = {}


@task(retries=2, retry_delay_seconds=0)
def flaky(key: str) -> str:
    _attempts[key] = _attempts.get(key, 0) + 1
    if _attempts[key] == 1:
        raise ValueError("first attempt fails")
    return "ok"


@flow
def retrying(key: str) -> str:
    return flaky(key)


@task
def explode() -> None:
    raise RuntimeError("the task broke")


@flow
def failing() -> None:
    explode()


@flow
def child(x: int) -> int:
    return x + 1


@flow
def parent() -> int:
    return child(1) + child(2)


@task
def chatty(i: int) -> int:
    get_run_logger().info("chatty says %d", i)
    return i


@flow
def talking() -> int:
    get_run_logger().info("flow-level line")
    return chatty(1) + chatty(2)


@task(persist_result=True)
def keep(x: int) -> dict[str, int]:
    return {"x": x}


@flow(persist_result=True)
def keeping() -> dict[str, int]:
    return keep(7)


@task
def double(x: int) -> int:
    return 2 * x


@flow
def fan(n: int) -> int:
    return sum(f.result() for f in double.map(range(n)))


# -- behaviour -------------------------------------------------------------------------------


def test_retries_go_through_awaiting_retry_and_retrying(backend: Backend, request) -> None:
    state = retrying(request.node.nodeid, return_state=True)
    assert state.is_completed()
    run = backend.show(state.state_details.flow_run_id)
    assert run["state"]["type"] == "COMPLETED"
    [task_run] = run["task_runs"]
    assert task_run["run_count"] == 2
    names = [s["name"] for s in task_run["states"]]
    assert names == ["Pending", "Running", "Failed", "AwaitingRetry", "Retrying", "Completed"]
    assert "first attempt fails" in task_run["states"][2]["message"]


def test_a_failing_flow_ends_failed_with_the_task_s_message(backend: Backend) -> None:
    state = failing(return_state=True)
    assert state.is_failed()
    run = backend.show(state.state_details.flow_run_id)
    assert run["state"]["type"] == "FAILED"
    [task_run] = run["task_runs"]
    assert task_run["state"]["type"] == "FAILED"
    assert "the task broke" in task_run["state"]["message"]
    assert [s["type"] for s in run["states"]] == ["PENDING", "RUNNING", "FAILED"]
    assert "the task broke" in run["state"]["message"] or "failed" in run["state"]["message"]


def test_subflows_are_linked_to_their_parent(backend: Backend) -> None:
    state = parent(return_state=True)
    assert state.result() == 5
    run = backend.show(state.state_details.flow_run_id)
    subflows = run["subflow_runs"]
    assert [s["flow_name"] for s in subflows] == ["child", "child"]
    assert {s["parent_flow_run_id"] for s in subflows} == {run["id"]}
    assert {s["state"]["type"] for s in subflows} == {"COMPLETED"}
    sub = backend.show(subflows[0]["id"])
    assert sub["parent_flow_run_id"] == run["id"]
    assert sub["parameters"] == {"x": 1}


def test_logs_are_recorded_with_their_task_run(backend: Backend) -> None:
    state = talking(return_state=True)
    assert state.result() == 3
    run = backend.show(state.state_details.flow_run_id)
    by_name = {t["name"]: t["id"] for t in run["task_runs"]}
    lines = {line["message"]: line["task_run_id"] for line in run["logs"]}
    assert lines["flow-level line"] is None
    assert lines["chatty says 1"] == by_name["chatty-0"]
    assert lines["chatty says 2"] == by_name["chatty-1"]
    assert by_name["chatty-0"] != by_name["chatty-1"]


def test_persisted_results_are_referenced(backend: Backend) -> None:
    state = keeping(return_state=True)
    assert state.result() == {"x": 7}
    run = backend.show(state.state_details.flow_run_id)
    [task_run] = run["task_runs"]
    assert task_run["state"]["type"] == "COMPLETED"
    assert task_run["result_ref"]
    assert run["result_ref"]


def test_fifty_mapped_tasks_all_complete(backend: Backend) -> None:
    state = fan(50, return_state=True)
    assert state.result() == 2 * sum(range(50))
    run = backend.show(state.state_details.flow_run_id)
    assert run["state"]["type"] == "COMPLETED"
    assert len(run["task_runs"]) == 50
    assert {t["state"]["type"] for t in run["task_runs"]} == {"COMPLETED"}
    assert sorted(t["name"] for t in run["task_runs"]) == sorted(f"double-{i}" for i in range(50))


# -- fault: the server is down for 10 s in the middle of a 200-task flow ----------------------

FAULT_FLOW = textwrap.dedent(
    """
    import logging, sys, time
    from pathlib import Path
    import cadenza.backends.http as http
    from cadenza import flow, get_run_logger, task

    http.DEFAULT_RETRY_TIME = 1.0          # count the server as unreachable well within 10 s
    http.logger.addHandler(logging.StreamHandler(sys.stderr))

    resumed = Path(sys.argv[1])

    @task
    def step(i):
        get_run_logger().info("step %d", i)
        if i == 50:
            print("killing", flush=True)      # the test kills the server now
        if i == 150:                           # keep going until the server is back
            deadline = time.monotonic() + 60
            while not resumed.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        time.sleep(0.002)
        return i

    @flow
    def steps(n):
        return sum(step(i) for i in range(n))

    state = steps(200, return_state=True)
    print(state.state_details.flow_run_id, state.type.value, flush=True)
    """
)


def test_the_server_down_for_10_s_mid_flow_misses_nothing_and_repeats_nothing(
    tmp_path: Path, cadenza_home: Path
) -> None:
    home = tmp_path / "server-home"
    home.mkdir()
    db = home / "server.db"
    server = ServerProcess(f"sqlite:///{db}", home).start()
    script, resumed = tmp_path / "fault_flow.py", tmp_path / "resumed"
    script.write_text(FAULT_FLOW)
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_API_URL": server.url}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(resumed)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "killing"
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait(10)
        server.proc = None
        time.sleep(10)
        server.start()  # same port, same database
        resumed.touch()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        server.stop()
    assert proc.returncode == 0, err
    flow_run_id, final = out.split()
    assert final == "COMPLETED"
    assert "unreachable" in err  # the outage was noticed and the client spooled through it
    assert [p.stat().st_size for p in (cadenza_home / "spool").glob("*.jsonl")] in ([], [0])

    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT run_id, transition_id, count(*) FROM run_states GROUP BY 1, 2"
        ).fetchall()
        assert all(n == 1 for *_, n in rows)
        assert len(rows) == 3 + 200 * 3
        assert conn.execute(
            "SELECT state_type FROM flow_runs WHERE id = ?", (flow_run_id,)
        ).fetchall() == [("COMPLETED",)]
        assert conn.execute(
            "SELECT count(*) FROM task_runs WHERE flow_run_id = ? AND state_type = 'COMPLETED'",
            (flow_run_id,),
        ).fetchone() == (200,)
        steps = conn.execute("SELECT message FROM logs WHERE message LIKE 'step %'")
        logged = [m for (m,) in steps]
        assert sorted(logged) == sorted(f"step {i}" for i in range(200))
        dupes = conn.execute(
            "SELECT message, task_run_id, count(*) FROM logs GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        assert dupes == []
    finally:
        conn.close()
