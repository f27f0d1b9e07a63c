"""Nothing accepted is lost: flush on return and exit, crash detection, concurrent writers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cadenza import flow, task

# processes killed, or many writing one record at once
pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "cadenza.cli.main"]


def _count(home: Path, sql: str, *params) -> int:
    conn = sqlite3.connect(home / "cadenza.db")
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def test_everything_is_on_disk_when_the_flow_returns(cadenza_home):
    @task
    def noop(i):
        return i

    @flow
    def f():
        for i in range(500):
            noop(i)

    f()
    # A separate connection, no flush: the flow's return already made it durable.
    assert _count(cadenza_home, "SELECT count(*) FROM task_runs") == 500
    assert _count(cadenza_home, "SELECT count(*) FROM run_states") == 500 * 3 + 3


def test_10000_tasks_are_all_recorded_and_shown(run_python, cadenza_home):
    done = run_python(
        """
from cadenza import flow, task

@task
def inc(x):
    return x + 1

@flow
def big():
    for i in range(10_000):
        inc(i)

big()
"""
    )
    assert done.returncode == 0, done.stderr
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home)}
    shown = subprocess.run(
        [*CLI, "runs", "show", "latest", "--json"], capture_output=True, text=True, env=env
    )
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["state"]["type"] == "COMPLETED"
    assert len(record["task_runs"]) == 10_000
    assert all(
        [s["type"] for s in tr["states"]] == ["PENDING", "RUNNING", "COMPLETED"]
        for tr in record["task_runs"]
    )


def test_record_is_flushed_at_exit_for_tasks_outside_flows(run_python, cadenza_home):
    done = run_python(
        """
from cadenza import task

@task
def one():
    return 1

for _ in range(50):
    one()
"""
    )
    assert done.returncode == 0, done.stderr
    assert _count(cadenza_home, "SELECT count(*) FROM task_runs WHERE state_type='COMPLETED'") == 50


def test_kill_9_leaves_a_run_that_the_next_process_marks_crashed(
    run_python, cadenza_home, tmp_path
):
    script = tmp_path / "stuck.py"
    script.write_text(
        """
import time
from cadenza import flow, task

@task
def step(i):
    return i

@flow
def stuck():
    for i in range(3):
        step(i)
    print("ready", flush=True)
    time.sleep(60)

stuck()
"""
    )
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home)}
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)  # > one batch window: the Running state is on disk
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _count(cadenza_home, "SELECT count(*) FROM flow_runs WHERE state_type='RUNNING'") == 1

    shown = subprocess.run([*CLI, "runs", "ls", "--json"], capture_output=True, text=True, env=env)
    assert shown.returncode == 0, shown.stderr
    (run,) = json.loads(shown.stdout)
    assert run["state"]["type"] == "CRASHED"
    assert str(proc.pid) in run["state"]["message"]


def test_sigterm_marks_the_run_crashed_and_exits(cadenza_home, tmp_path):
    script = tmp_path / "term.py"
    script.write_text(
        """
import time
from cadenza import flow

@flow(on_crashed=[lambda f, r, s: print("crashed hook", flush=True)])
def waits():
    print("ready", flush=True)
    time.sleep(60)

waits()
"""
    )
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_LOGGING_CONSOLE": "false"}
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "crashed hook" in out
    assert _count(cadenza_home, "SELECT count(*) FROM flow_runs WHERE state_type='CRASHED'") == 1


def test_keyboard_interrupt_marks_the_run_cancelled(cadenza_home, tmp_path):
    script = tmp_path / "interrupt.py"
    script.write_text(
        """
import time
from cadenza import flow, task

@task
def sleepy():
    print("ready", flush=True)
    time.sleep(60)

@flow
def waits():
    sleepy()

waits()
"""
    )
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_LOGGING_CONSOLE": "false"}
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)
    assert proc.returncode != 0
    conn = sqlite3.connect(cadenza_home / "cadenza.db")
    flow_state = conn.execute("SELECT state_type FROM flow_runs").fetchall()
    task_state = conn.execute("SELECT state_type FROM task_runs").fetchall()
    conn.close()
    assert flow_state == [("CANCELLED",)]
    assert task_state == [("CANCELLED",)]


def test_eight_processes_write_one_record_at_once(cadenza_home, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(
        """
import sys
from cadenza import flow, task

@task
def work(i):
    return i

@flow
def writer(n: int):
    for i in range(n):
        work(i)

writer(int(sys.argv[1]))
"""
    )
    fresh = tmp_path / "fresh-home"  # no record yet: the processes also race to create it
    env = {**os.environ, "CADENZA_HOME": str(fresh), "CADENZA_FLUSH_INTERVAL": "0.005"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), "2000"], stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(8)
    ]
    results = [(p.wait(timeout=240), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code == 0, err
        assert "locked" not in err
    assert _count(fresh, "SELECT count(*) FROM flow_runs WHERE state_type='COMPLETED'") == 8
    assert _count(fresh, "SELECT count(*) FROM task_runs") == 16_000
    assert _count(fresh, "SELECT count(*) FROM run_states") == 16_000 * 3 + 8 * 3
