"""Suspending a deployment's run that a real `cadenza worker start` process runs, against a real
server (SQLite and PostgreSQL): the child exits, the run stays Suspended (the reaper does not
take it for a crash), resuming schedules it, the worker runs the flow again from the start, a
cached task's body does not run again, and the suspend call there returns the input given.
A suspension that times out is failed by the server."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.server_process import ServerProcess
from cadenza import resume_flow_run
from cadenza.exceptions import NotPausedError
from workers.worker_helpers import Workers, wait_until

FLOWS = """
from pathlib import Path

from cadenza import flow, suspend_flow_run, task
from cadenza.cache_policies import DEFAULT
from cadenza.input import RunInput


class Go(RunInput):
    extra: int


def bump(counter: str) -> int:
    path = Path(counter)
    n = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(n))
    return n


@task(cache_policy=DEFAULT)  # its result is persisted and found again by the next attempt
def expensive(counter: str) -> int:
    bump(counter)
    return 41


@task
def cheap(counter: str) -> int:  # not cached: runs again in the next attempt
    return bump(counter)


@flow
def gated(work: str, timeout: float = 120) -> int:
    base = expensive(work + "/expensive")
    cheap(work + "/cheap")
    go = suspend_flow_run(wait_for_input=Go, timeout=timeout)
    Path(work + "/answer").write_text(str(base + go.extra))
    return base + go.extra
"""


@pytest.fixture
def api(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from cadenza.backends import reset_backend
    from cadenza.client.http import ApiClient
    from cadenza.settings import spec

    monkeypatch.setenv("CADENZA_API_URL", server.url)
    monkeypatch.delenv("CADENZA_API_KEY", raising=False)
    spec.reset_cache()
    reset_backend()
    client = ApiClient(server.url)
    yield client
    client.close()
    reset_backend()


@pytest.fixture
def workers(server: ServerProcess, cadenza_home: Path, tmp_path: Path) -> Iterator[Workers]:
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_API_URL": server.url,
           "CADENZA_HEARTBEAT_INTERVAL": "1", "CADENZA_WORKER_POLL_INTERVAL": "0.5"}  # fmt: skip
    env.pop("CADENZA_API_KEY", None)
    found = Workers(env, tmp_path)
    yield found
    found.close()


def _deploy(api: Any, tmp_path: Path) -> tuple[str, str]:
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    api.create_work_pool(pool, type="process")
    (tmp_path / "flows.py").write_text(FLOWS)
    spec = {"flow_name": "gated", "name": f"d-{pool}", "entrypoint": "flows.py:gated",
            "path": str(tmp_path), "work_pool_name": pool}  # fmt: skip
    return pool, str(api.apply_deployment(spec)["id"])


def _state(api: Any, run_id: str) -> dict[str, Any]:
    return dict(api.get_flow_run(run_id)["state"])


def test_a_suspended_run_is_run_again_by_a_worker_without_redoing_a_cached_task(
    api: Any, workers: Workers, tmp_path: Path
) -> None:
    pool, deployment = _deploy(api, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    run_id = api.create_flow_run_from_deployment(deployment, parameters={"work": str(work)})["id"]
    workers.start(pool)
    wait_until(lambda: _state(api, run_id)["name"] == "Suspended", 60,
               f"the run to suspend\n{workers.logs()[-3000:]}")  # fmt: skip
    # its child exits; past its lease (2 s) and several reaper rounds it is still Suspended
    time.sleep(3.5)
    assert _state(api, run_id) == {**_state(api, run_id), "type": "PAUSED", "name": "Suspended"}
    assert "exited with status 0" in workers.logs()

    resume_flow_run(run_id, {"extra": 1})
    assert _state(api, run_id)["type"] in ("SCHEDULED", "PENDING", "RUNNING", "COMPLETED")
    wait_until(lambda: _state(api, run_id)["type"] == "COMPLETED", 60,
               f"the resumed run to complete\n{workers.logs()[-3000:]}")  # fmt: skip
    assert (work / "answer").read_text() == "42"
    assert (work / "expensive").read_text() == "1"  # cached: its body ran once
    assert (work / "cheap").read_text() == "2"  # not cached: ran in each attempt
    names = [s["name"] for s in api.get_flow_run(run_id)["states"]]
    assert "Crashed" not in names
    assert names[names.index("Suspended") :] == [
        "Suspended", "Resuming", "Pending", "Running", "Completed"
    ]  # fmt: skip
    tasks = api.get_task_runs_page(run_id)
    expensive = [t["state"]["name"] for t in tasks if t["task_name"] == "expensive"]
    assert expensive == ["Completed", "Cached"]


def test_a_suspension_that_times_out_is_failed_by_the_server(
    api: Any, workers: Workers, tmp_path: Path
) -> None:
    pool, deployment = _deploy(api, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    params = {"work": str(work), "timeout": 1}
    run_id = api.create_flow_run_from_deployment(deployment, parameters=params)["id"]
    workers.start(pool)
    wait_until(lambda: _state(api, run_id)["type"] == "FAILED", 60,
               f"the suspension to time out\n{workers.logs()[-3000:]}")  # fmt: skip
    message = _state(api, run_id)["message"]
    assert message.startswith("Flow run was suspended and never resumed within 1 s")
    with pytest.raises(NotPausedError, match="is Failed, not paused"):
        resume_flow_run(run_id, {"extra": 1})
    assert not (work / "answer").exists()
