"""Resuming a failed flow run re-runs only what failed, without ``persist_result=True``.

Prefect users retry a failed flow run and expect completed work not to run again. Prefect
re-uses a completed task's result on retry only when it was persisted; cadenza keeps completed
results in memory and saves them when the flow run ends Failed, Crashed or Cancelled, so
``cadenza runs resume`` skips them by default (`cadenza.engine.resume_store`).
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

FLOW_FILE = """
import os
import threading
import time
from pathlib import Path

from cadenza import flow, task
from cadenza.task_runners import ProcessPoolTaskRunner

LOG = Path(os.environ["BODY_LOG"])
FAIL = Path(os.environ["FAIL_FLAG"])


def ran(name):
    with LOG.open("a") as f:
        f.write(name + "\\n")


@task
def extract() -> list:
    ran("extract")
    return [1, 2, 3]


@task
def clean(rows: list) -> list:
    ran("clean")
    return [r for r in rows if r]


@task
def double(rows: list) -> list:
    ran("double")
    return [r * 2 for r in rows]


@task
def enrich(rows: list) -> dict:
    ran("enrich")
    return {"rows": rows, "n": len(rows)}


@task
def validate(doc: dict) -> dict:
    ran("validate")
    return doc


@task
def load(doc: dict) -> int:
    ran("load")
    if FAIL.exists():
        raise RuntimeError("warehouse unavailable")
    return sum(doc["rows"])


@flow
def six_steps() -> int:
    return load(validate(enrich(double(clean(extract())))))


@task
def square(x: int) -> int:
    ran(f"square-{x}")
    return x * x


@flow
def mapped() -> int:
    squares = square.map(range(4))
    return load({"rows": [s.result() for s in squares]})


@flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
def in_processes() -> int:
    squares = square.map(range(3))
    return load({"rows": [s.result() for s in squares]})


@flow
def prepare() -> dict:
    return enrich(double(extract()))


@flow
def parent() -> int:
    doc = prepare()
    again = prepare()
    return load(validate({"rows": doc["rows"] + again["rows"]}))


@task
def handle():
    ran("handle")
    return threading.Lock()  # cannot be pickled


@flow
def unpicklable() -> int:
    handle()
    return load({"rows": [1]})


@flow
def slow() -> int:
    rows = double(clean(extract()))
    ran("waiting")
    time.sleep(60)  # killed here with SIGKILL
    return load({"rows": rows})
"""


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "pipeline.py").write_text(FLOW_FILE)
    return {
        "file": tmp_path / "pipeline.py",
        "log": tmp_path / "bodies.log",
        "flag": tmp_path / "fail-now",
    }


def _cadenza(project: dict[str, Path], *args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {
        **os.environ,
        "BODY_LOG": str(project["log"]),
        "FAIL_FLAG": str(project["flag"]),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        capture_output=True, text=True, env=full_env, timeout=120,
    )  # fmt: skip


def _bodies(project: dict[str, Path]) -> list[str]:
    text = project["log"].read_text() if project["log"].exists() else ""
    project["log"].write_text("")
    return text.split()


def _fail_then_resume(project: dict[str, Path], flow_name: str, **env: str) -> tuple:
    """Run `flow_name` failing, then resume it with the failure fixed: ([bodies run by the
    first run, by the resume], the failed run's id, the new run's id)."""
    project["flag"].touch()
    first = _cadenza(project, "run", f"{project['file']}:{flow_name}", **env)
    assert first.returncode == 1, first.stdout + first.stderr
    failed_id = _newest_flow_run(project)
    before = _bodies(project)
    project["flag"].unlink()
    resumed = _cadenza(project, "runs", "resume", failed_id, **env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    new_id = resumed.stdout.split()[2]  # "Flow run <id> (resuming <id>) finished in state ..."
    return [before, _bodies(project)], failed_id, new_id


def _newest_flow_run(project: dict[str, Path]) -> str:
    runs = json.loads(_cadenza(project, "runs", "ls", "--json").stdout)
    return next(run["id"] for run in runs if run["parent_flow_run_id"] is None)


# Prefect 3.9.1: a flow run retried (`@flow(retries=1)`) whose six plain `@task`s completed
# before the last one failed runs all six again (results not persisted); with
# `persist_result=True` only the failed one runs again. Checked in the Prefect venv.
def test_resume_runs_only_the_task_that_failed(project, backend):
    (first, again), failed_id, new_id = _fail_then_resume(project, "six_steps")
    assert first == ["extract", "clean", "double", "enrich", "validate", "load"]
    assert again == ["load"]
    latest = backend.show(new_id)
    assert latest["resumed_from"] == failed_id
    assert [t["state"]["name"] for t in latest["task_runs"]] == ["Resumed"] * 5 + ["Completed"]


# Prefect 3.9.1: as above (mapped task runs are task runs like the others; not run separately).
def test_resume_reuses_mapped_task_runs(project, backend):
    (first, again), _, _ = _fail_then_resume(project, "mapped")
    assert sorted(first) == ["load", "square-0", "square-1", "square-2", "square-3"]
    assert again == ["load"]


# Prefect 3.9.1: no equivalent; its retry runs unpersisted tasks again (checked above).
@pytest.mark.integration
def test_resume_reuses_task_runs_of_a_process_pool(project):
    (first, again), _, _ = _fail_then_resume(project, "in_processes")
    assert sorted(first) == ["load", "square-0", "square-1", "square-2"]
    assert again == ["load"]


# Prefect 3.9.1: on a retry of the parent flow run (`retries=1`), a subflow runs again as a new
# run and its tasks run again even with `persist_result=True` (the default cache key holds the
# run id): calls [0, 1, "last", 0, 1, "last"]. cadenza's resume reuses them.
def test_resume_reuses_tasks_inside_subflows(project, backend):
    (first, again), failed_id, new_id = _fail_then_resume(project, "parent")
    assert first == ["extract", "double", "enrich"] * 2 + ["validate", "load"]
    assert again == ["load"]
    latest = backend.show(new_id)
    assert latest["resumed_from"] == failed_id
    assert [s["resumed_from"] is not None for s in latest["subflow_runs"]] == [True, True]


# Prefect 3.9.1: no equivalent; its retry runs unpersisted tasks again (checked above).
def test_a_result_that_cannot_be_pickled_runs_again_and_says_why(project, backend):
    (first, again), _, new_id = _fail_then_resume(project, "unpicklable")
    assert first == ["handle", "load"]
    assert again == ["handle", "load"]
    logs = " ".join(line["message"] for line in backend.show(new_id)["logs"])
    assert "Running again: its earlier result could not be kept" in logs
    assert "lock" in logs


# Prefect 3.9.1: no equivalent; its retry runs unpersisted tasks again (checked above).
def test_nothing_is_saved_when_the_flow_run_completes(project, cadenza_home):
    done = _cadenza(project, "run", f"{project['file']}:six_steps")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (cadenza_home / "storage" / "resume").exists()


# Prefect 3.9.1: no equivalent; its retry runs unpersisted tasks again (checked above).
def test_results_kept_for_resume_are_not_results_of_the_task_run(project, cadenza_home):
    # persist_result stays off: the failed run's task runs have no result to read back
    project["flag"].touch()
    assert _cadenza(project, "run", f"{project['file']}:six_steps").returncode == 1
    run = json.loads(_cadenza(project, "runs", "show", "latest", "--json").stdout)
    assert [t["result_ref"] for t in run["task_runs"]] == [None] * 6
    kept = sorted(p.name for p in (cadenza_home / "storage" / "resume" / run["id"]).iterdir())
    assert kept == sorted(t["id"] for t in run["task_runs"][:5])

    from cadenza.exceptions import MissingResult
    from cadenza.results import load_run_result

    with pytest.raises(MissingResult):
        load_run_result(run["task_runs"][0]["id"])


def _kill_mid_run(project: dict[str, Path], **env: str) -> str:
    """Start flow `slow`, SIGKILL it once three tasks completed; the id of its run."""
    full_env = {**os.environ, "BODY_LOG": str(project["log"]), "FAIL_FLAG": "/nonexistent"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cadenza.cli.main", "run", f"{project['file']}:slow"],
        env={**full_env, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "waiting" not in (project["log"].read_text() if project["log"].exists() else ""):
        assert proc.poll() is None and time.monotonic() < deadline, "the flow did not start"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return _newest_flow_run(project)


# Prefect 3.9.1: a task's result is written when it completes only if it is persisted
# (`write_result=should_persist_result()` in prefect/task_engine.py): what a process killed
# with SIGKILL did not persist is lost with it, and those tasks run again.
@pytest.mark.integration
def test_after_sigkill_unpersisted_results_run_again_by_default(project):
    killed_id = _kill_mid_run(project)
    assert _bodies(project) == ["extract", "clean", "double", "waiting"]
    project["file"].write_text(FLOW_FILE.replace("time.sleep(60)", "pass"))
    resumed = _cadenza(project, "runs", "resume", killed_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    # the killed process could save nothing: every task runs again, and says why
    assert _bodies(project) == ["extract", "clean", "double", "waiting", "load"]


# Prefect 3.9.1: no equivalent; its retry runs unpersisted tasks again (checked above).
@pytest.mark.integration
def test_after_sigkill_each_task_mode_keeps_what_completed(project):
    killed_id = _kill_mid_run(project, CADENZA_RESULTS_PERSIST_FOR_RESUME="each-task")
    assert _bodies(project) == ["extract", "clean", "double", "waiting"]
    project["file"].write_text(FLOW_FILE.replace("time.sleep(60)", "pass"))
    resumed = _cadenza(
        project, "runs", "resume", killed_id, CADENZA_RESULTS_PERSIST_FOR_RESUME="each-task"
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert _bodies(project) == ["waiting", "load"]


# Prefect 3.9.1: no equivalent; its retry runs unpersisted tasks again (checked above).
def test_an_async_flow_resumes_the_same_way():
    import asyncio

    from cadenza import flow, task
    from cadenza.engine.resume import resume_flow_run

    calls: list[str] = []
    broken = [True]

    @task
    async def fetch(i: int) -> int:
        calls.append(f"fetch-{i}")
        return i

    @task
    async def publish(values: list[int]) -> int:
        calls.append("publish")
        if broken[0]:
            raise RuntimeError("not yet")
        return sum(values)

    @flow
    async def nightly() -> int:
        return await publish([await fetch(i) for i in range(3)])

    failed = asyncio.run(nightly(return_state=True))
    assert failed.is_failed()
    broken[0] = False
    calls.clear()
    state = resume_flow_run(failed.state_details.flow_run_id, flow=nightly)
    assert state.is_completed() and state.result() == 3
    assert calls == ["publish"]
