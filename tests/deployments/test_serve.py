"""`flow.serve()` end to end: on the embedded record (no server) and against a real server.

The serving process is a real subprocess stopped by PID with SIGINT; runs are read back from
the record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cadenza import flow
from cadenza.deployments import run_deployment
from cadenza.deployments.api import deployments_api

FLOWS = textwrap.dedent(
    """
    import sys
    from cadenza import flow, task

    @task
    def add(a, b):
        return a + b

    @flow(log_prints=True)
    def etl(n: int = 1):
        return add(n, 1)

    if __name__ == "__main__":
        interval = float(sys.argv[1]) if len(sys.argv) > 1 else None
        etl.serve(name="served", interval=interval, parameters={"n": 5}, tags=["demo"])
    """
)


def _wait(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[callable]:
    (tmp_path / "flows.py").write_text(FLOWS)
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "flows.py", *args], cwd=tmp_path, env=dict(os.environ),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _deployment_ready(name: str) -> bool:
    api = deployments_api()
    try:
        api.read(name)
        return True
    except LookupError:
        return False
    finally:
        api.close()


def test_serve_on_the_embedded_record_runs_its_schedule(cadenza_home: Path, serving) -> None:
    proc = serving("1")
    _wait(lambda: _deployment_ready("etl/served"), what="the deployment")
    api = deployments_api()
    try:
        deployment = api.read("etl/served")
        assert deployment["schedules"][0]["schedule"]["interval"] == 1.0
        assert deployment["parameters"] == {"n": 5} and deployment["tags"] == ["demo"]

        def completed() -> list[str]:
            with api.db.read() as conn:
                from sqlalchemy import text

                rows = conn.execute(text(
                    "SELECT id FROM flow_runs WHERE deployment_id = :d AND state_type = 'COMPLETED'"
                ), {"d": deployment["id"]}).all()  # fmt: skip
            return [r[0] for r in rows] if len(rows) >= 3 else []

        done = _wait(completed, what="three scheduled runs completed")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "Serving 'etl/served'" in out
        after = api.read("etl/served")
        assert after["paused"]  # paused on shutdown: its runs that had not started are gone
        run = api.read_flow_run(done[0])
        assert run["parameters"] == {"n": 5} and run["auto_scheduled"]
    finally:
        api.close()


@flow
def parent(n: int) -> str:
    child = run_deployment("etl/served", parameters={"n": n}, timeout=60)
    assert child.state is not None and child.state.type.value == "COMPLETED", child.state
    return child.id


def _check_run_deployment_links_parent_and_child() -> None:
    api = deployments_api()
    try:
        # timeout=0: back at once, Scheduled
        quick = run_deployment("etl/served", parameters={"n": 1}, timeout=0)
        assert quick.state is not None and quick.state.type.value in (
            "SCHEDULED",
            "PENDING",
            "RUNNING",
            "COMPLETED",
        )
        state = parent(3, return_state=True)
        assert state.type.value == "COMPLETED", state
        child_id = state.result()
        child = api.read_flow_run(child_id)
        assert child["parent_flow_run_id"] is not None
        assert child["parameters"] == {"n": 3}
        with pytest.raises(Exception, match="bogus"):
            run_deployment("etl/served", parameters={"bogus": 1}, timeout=0)
    finally:
        api.close()


def test_run_deployment_on_the_embedded_record(cadenza_home: Path, serving) -> None:
    proc = serving()
    _wait(lambda: _deployment_ready("etl/served"), what="the deployment")
    try:
        _check_run_deployment_links_parent_and_child()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)


@pytest.mark.integration
@pytest.mark.parametrize("server_fixture", ["sqlite_server", "postgresql_server"])
def test_serve_and_run_deployment_against_a_server(
    cadenza_home: Path,
    server_fixture: str,
    serving,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from cadenza.backends import reset_backend
    from cadenza.settings import spec

    server = request.getfixturevalue(server_fixture)
    monkeypatch.setenv("CADENZA_API_URL", server.url)
    spec.reset_cache()
    reset_backend()
    proc = serving()
    _wait(lambda: _deployment_ready("etl/served"), what="the deployment")
    try:
        _check_run_deployment_links_parent_and_child()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        reset_backend()
