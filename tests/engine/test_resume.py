"""Resuming a failed flow run re-runs only what did not complete."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cadenza import flow, task
from cadenza.engine.resume import resume_flow_run

FLOW_FILE = """
import os
from pathlib import Path
from cadenza import flow, task

LOG = Path(os.environ["BODY_LOG"])

def ran(name):
    with LOG.open("a") as f:
        f.write(name + "\\n")

@task(persist_result=True)
def extract(n: int) -> list:
    ran("extract")
    return list(range(n))

@task(persist_result=True)
def square(x: int) -> int:
    ran(f"square-{x}")
    return x * x

@task(persist_result=True)
def total(values: list) -> int:
    ran("total")
    if os.environ.get("FAIL_TOTAL") == "1":
        raise RuntimeError("warehouse unavailable")
    return sum(values)

@flow
def pipeline(n: int = 4) -> int:
    rows = extract(n)
    squares = [square(x) for x in rows]
    return total(squares)
"""


@pytest.fixture
def flow_file(tmp_path):
    path = tmp_path / "pipeline.py"
    path.write_text(FLOW_FILE)
    return path


def _cadenza(args, env):
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args], capture_output=True, text=True, env=env
    )


def test_resume_from_the_cli_reruns_only_the_failed_part(flow_file, tmp_path, cadenza_home):
    log = tmp_path / "bodies.log"
    env = {
        **os.environ,
        "CADENZA_HOME": str(cadenza_home),
        "BODY_LOG": str(log),
        "FAIL_TOTAL": "1",
        "CADENZA_LOGGING_CONSOLE": "false",
    }
    first = _cadenza(["run", f"{flow_file}:pipeline", "--param", "n=4"], env)
    assert first.returncode == 1, first.stderr
    assert log.read_text().split() == ["extract", *(f"square-{i}" for i in range(4)), "total"]

    failed_id = json.loads(_cadenza(["runs", "ls", "--json"], env).stdout)[0]["id"]
    log.write_text("")
    env["FAIL_TOTAL"] = "0"
    resumed = _cadenza(["runs", "resume", failed_id], env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert log.read_text().split() == ["total"]  # five of six task bodies were not run again

    latest = json.loads(_cadenza(["runs", "show", "latest", "--json"], env).stdout)
    assert latest["resumed_from"] == failed_id
    assert latest["parameters"] == {"n": 4}
    names = [t["state"]["name"] for t in latest["task_runs"]]
    assert names == ["Resumed"] * 5 + ["Completed"]


def test_python_api_resume_with_a_flow_object(record):
    bodies = []

    @task(persist_result=True)
    def step(i):
        bodies.append(i)
        if i == 2 and len([b for b in bodies if b == 2]) == 1:
            raise ValueError("first time step 2 fails")
        return i

    @flow
    def f():
        return [step(i) for i in range(4)]

    failed = f(return_state=True)
    assert failed.is_failed()
    assert bodies == [0, 1, 2]
    state = resume_flow_run(failed.state_details.flow_run_id, flow=f)
    assert state.is_completed() and state.result() == [0, 1, 2, 3]
    assert bodies == [0, 1, 2, 2, 3]  # 0 and 1 were reused


def test_calls_without_persisted_results_run_again_when_keeping_is_off(monkeypatch):
    from cadenza.settings import spec

    monkeypatch.setenv("CADENZA_RESULTS_PERSIST_FOR_RESUME", "off")
    spec.reset_cache()
    bodies = []

    @task
    def plain(i):
        bodies.append(i)
        if len(bodies) == 2:
            raise RuntimeError("boom")
        return i

    @flow
    def f():
        return [plain(i) for i in range(2)]

    failed = f(return_state=True)
    resume_flow_run(failed.state_details.flow_run_id, flow=f)
    assert bodies == [0, 1, 0, 1]


def test_only_failed_runs_can_be_resumed():
    @flow
    def fine():
        return 1

    state = fine(return_state=True)
    with pytest.raises(ValueError, match="only a Failed, Crashed or Cancelled run"):
        resume_flow_run(state.state_details.flow_run_id, flow=fine)


def test_unknown_run_id_is_a_clear_error():
    with pytest.raises(LookupError):
        resume_flow_run("does-not-exist")


def test_a_long_flow_keeps_small_entries_and_still_resumes(monkeypatch):
    from cadenza.context import FlowRunContext
    from cadenza.engine import resume_store

    monkeypatch.setattr(resume_store, "COMPACT_EVERY", 4)
    bodies = []
    held = []

    @task
    def step(i):
        bodies.append(i)
        if i == 9 and bodies.count(9) == 1:
            raise RuntimeError("the last one fails once")
        return i * 10

    @flow
    def long():
        results = [step(i) for i in range(9)]
        held.extend(FlowRunContext.get().kept.runs)  # compacted: (id, name, value) tuples
        return [*results, step(9)]

    failed = long(return_state=True)
    assert failed.is_failed()
    assert sum(type(item) is tuple for item in held) == 3  # the runs ended by the 4th call
    assert all(
        item[2] == int(item[1].rsplit("-", 1)[1]) * 10 for item in held if type(item) is tuple
    )
    state = resume_flow_run(failed.state_details.flow_run_id, flow=long)
    assert state.result() == [i * 10 for i in range(10)]
    assert bodies == [*range(10), 9]
