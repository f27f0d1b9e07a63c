"""Signals end runs truthfully and promptly: SIGTERM → Crashed and exit 143, Ctrl-C → Cancelled.

Each test runs a real flow in a child process, signals it, and reads what the record says with
``cadenza runs ls/show --json``: every flow run and task run ends in a final state, and a map
interrupted by a signal does not wait for its queue.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.integration,  # each test signals a flow in a process of its own
]

CLI = [sys.executable, "-m", "cadenza.cli.main"]
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _start(home: Path, script: Path, *command: str) -> subprocess.Popen:
    """Run `script` (or `command`) in a child with `home`; return once it printed "ready"."""
    env = {**os.environ, "CADENZA_HOME": str(home), "CADENZA_LOGGING_CONSOLE": "false"}
    proc = subprocess.Popen(
        list(command) or [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        raise AssertionError(f"child did not start: {line!r}\n{proc.communicate()[1]}")
    return proc


def _signal(proc: subprocess.Popen, signum: int, timeout: float = 30) -> tuple[float, str]:
    """Send `signum`; return (seconds until the process exited, its stderr)."""
    start = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=timeout)
    return time.monotonic() - start, err


def _record(home: Path) -> dict[str, dict]:
    """Every flow run in the record, by flow name, as ``cadenza runs show --json`` gives it."""
    env = {**os.environ, "CADENZA_HOME": str(home)}

    def cli(*args: str) -> object:
        done = subprocess.run([*CLI, *args], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return {
        run["flow_name"]: cli("runs", "show", run["id"], "--json")
        for run in cli("runs", "ls", "--json")
    }


def _task_states(run: dict) -> list[str]:
    return [(task["state"] or {}).get("type") for task in run["task_runs"]]


def test_sigterm_crashes_an_async_flow_its_subflow_and_tasks_and_exits_143(cadenza_home, tmp_path):
    script = tmp_path / "async_term.py"
    script.write_text(
        """
import asyncio, time
from cadenza import flow, task

@task
async def waits_async():
    print("ready", flush=True)
    await asyncio.sleep(60)

@task
def waits_in_a_thread():
    time.sleep(60)

@flow
async def child():
    await waits_async()

@flow
async def parent():
    waits_in_a_thread.submit()
    await child()

asyncio.run(parent())
"""
    )
    proc = _start(cadenza_home, script)
    elapsed, err = _signal(proc, signal.SIGTERM)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert elapsed < 5
    runs = _record(cadenza_home)
    for name in ("parent", "child"):
        assert runs[name]["state"]["type"] == "CRASHED", runs[name]["state"]
        assert "SIGTERM" in runs[name]["state"]["message"]
    assert _task_states(runs["child"]) == ["CRASHED"]
    assert "SIGTERM" in runs["child"]["task_runs"][0]["state"]["message"]
    # blocked in C for 60 s: abandoned after the grace, not waited for, and not left Running
    assert _task_states(runs["parent"]) == ["CRASHED"]


def test_cadenza_run_of_an_async_flow_ends_crashed_with_143_on_sigterm(cadenza_home, tmp_path):
    script = tmp_path / "async_cli.py"
    script.write_text(
        """
import asyncio
from cadenza import flow

@flow
async def serve():
    print("ready", flush=True)
    await asyncio.sleep(60)
"""
    )
    proc = _start(cadenza_home, script, *CLI, "run", f"{script}:serve")
    _, err = _signal(proc, signal.SIGTERM)
    assert proc.returncode == 128 + signal.SIGTERM, err
    state = _record(cadenza_home)["serve"]["state"]
    assert state["type"] == "CRASHED"
    assert "SIGTERM" in state["message"]


def test_sigint_cancels_an_async_flow_without_waiting_for_its_task_runs(cadenza_home, tmp_path):
    script = tmp_path / "async_int.py"
    script.write_text(
        """
import asyncio, time
from cadenza import flow, task

@task
def slow(i):
    time.sleep(0.2)

@flow
async def interrupted():
    slow.map(range(100))
    print("ready", flush=True)
    await asyncio.sleep(60)

asyncio.run(interrupted())
"""
    )
    proc = _start(cadenza_home, script)
    elapsed, err = _signal(proc, signal.SIGINT)
    assert proc.returncode == -signal.SIGINT, err
    assert elapsed < 5  # not 100 x 0.2 s on the pool's workers
    run = _record(cadenza_home)["interrupted"]
    assert run["state"]["type"] == "CANCELLED"
    assert "interrupt" in run["state"]["message"]
    states = _task_states(run)
    assert len(states) == 100
    assert set(states) <= FINAL
    assert "CANCELLED" in states


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_map_interrupted_by_a_signal_cancels_its_queue(cadenza_home, tmp_path, signum):
    script = tmp_path / "map.py"
    script.write_text(
        """
import time
from cadenza import flow, task
from cadenza.task_runners import ThreadPoolTaskRunner

@task
def nap(i):
    if i == 3:
        print("ready", flush=True)
    time.sleep(0.1)
    return i

@flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
def many():
    nap.map(range(200)).wait()

many()
"""
    )
    proc = _start(cadenza_home, script)
    elapsed, err = _signal(proc, signum)
    assert elapsed < 3, "the queued task runs were run, not cancelled"
    run = _record(cadenza_home)["many"]
    states = _task_states(run)
    assert len(states) == 200
    assert set(states) <= FINAL, sorted(set(states) - FINAL, key=str)
    never_started = [t for t in run["task_runs"] if "never started" in str(t["state"]["message"])]
    assert len(never_started) > 150
    assert {t["state"]["type"] for t in never_started} == {"CANCELLED"}
    if signum == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert run["state"]["type"] == "CRASHED"
    else:
        assert proc.returncode == -signal.SIGINT, err
        assert run["state"]["type"] == "CANCELLED"


def test_a_submit_loop_interrupted_by_sigterm_stops_running_tasks(cadenza_home, tmp_path):
    script = tmp_path / "submit.py"
    script.write_text(
        """
import time
from cadenza import flow, task

@task
def spin(i):
    if i == 0:
        print("ready", flush=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # pure Python: interrupted at its next bytecode
        pass

@flow
def submitted():
    futures = [spin.submit(i) for i in range(50)]
    for future in futures:
        future.wait()

submitted()
"""
    )
    proc = _start(cadenza_home, script)
    elapsed, err = _signal(proc, signal.SIGTERM)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert elapsed < 3
    run = _record(cadenza_home)["submitted"]
    crashed = [t for t in run["task_runs"] if t["state"]["type"] == "CRASHED"]
    assert crashed, "the running task runs were not interrupted"
    assert all("SIGTERM" in t["state"]["message"] for t in crashed)
    assert set(_task_states(run)) <= {"CRASHED", "CANCELLED"}


def test_sigterm_inside_the_engine_still_ends_every_run(cadenza_home, tmp_path):
    # SIGTERM arrives while cadenza persists a task's result (the serializer is called from the
    # results code), not in the task's function: the task run still ends in a final state.
    script = tmp_path / "persisting.py"
    script.write_text(
        """
import os, pickle, signal, time
from cadenza import flow, task

class SignalsWhileSerializing:
    type = "pickle"

    def dumps(self, obj):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        return pickle.dumps(obj)

    def loads(self, data):
        return pickle.loads(data)

@task(persist_result=True, result_serializer=SignalsWhileSerializing())
def produce():
    return 42

@flow
def persisting():
    produce()
    time.sleep(30)

persisting()
"""
    )
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_LOGGING_CONSOLE": "false"}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=30
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    run = _record(cadenza_home)["persisting"]
    assert run["state"]["type"] == "CRASHED"
    assert _task_states(run) in (["COMPLETED"], ["CRASHED"])


def test_an_async_flow_cancelled_by_its_caller_ends_cancelled(record):
    import asyncio

    from cadenza import flow

    @flow
    async def slow():
        await asyncio.sleep(30)

    async def main():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(slow(), 0.2)

    asyncio.run(main())
    ((state, message),) = record("SELECT state_type, state_message FROM flow_runs")
    assert state == "CANCELLED"
    assert message == "Flow run was cancelled by an asyncio cancellation (its task was cancelled)"
