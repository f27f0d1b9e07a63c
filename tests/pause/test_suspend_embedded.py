"""Suspending a deployment's run on the embedded record: the process running it (here started
as a worker or `serve` process starts it: ``python -m cadenza.deployments.execute RUN_ID``)
exits 0, the run stays Suspended (the next process's crash detection leaves it), resuming makes
it Scheduled (Resuming), and the next run of it finishes with the input and the cached task's
result. A serve process's rounds fail a suspension past its timeout."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pause_helpers import cli
from test_suspend_worker import FLOWS

from cadenza.exceptions import FlowPauseTimeout
from cadenza.flow_runs import resume_flow_run

pytestmark = pytest.mark.usefixtures("embedded")


def _deployment_run(tmp_path: Path, **parameters: Any) -> str:
    from cadenza.deployments.local import LocalDeploymentsApi

    (tmp_path / "flows.py").write_text(FLOWS)
    api = LocalDeploymentsApi()
    try:
        spec = {"flow_name": "gated", "name": "local", "entrypoint": "flows.py:gated"}
        deployment = api.apply({**spec, "path": str(tmp_path)})
        return str(api.create_flow_run(deployment["id"], parameters=parameters)["id"])
    finally:
        api.close()


def _execute(run_id: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadenza.deployments.execute", run_id],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _states(home: Path, run_id: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(home / "cadenza.db")
    try:
        return conn.execute(
            "SELECT type, name FROM run_states WHERE run_id = ? ORDER BY id", (run_id,)
        ).fetchall()
    finally:
        conn.close()


def test_a_suspended_run_on_the_embedded_record_runs_again_after_resuming(
    tmp_path: Path, cadenza_home: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    run_id = _deployment_run(tmp_path, work=str(work))
    first = _execute(run_id)
    assert first.returncode == 0, first.stderr[-3000:]
    assert _states(cadenza_home, run_id)[-1] == ("PAUSED", "Suspended")
    listed = cli("runs", "ls", "--json")  # a new process: its crash detection runs first
    assert listed.returncode == 0
    assert _states(cadenza_home, run_id)[-1] == ("PAUSED", "Suspended")

    resumed = cli("runs", "resume-paused", run_id, "--input", "extra=1")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == (
        f"Flow run {run_id} resumed: Resuming (a worker runs it again)"
    )
    assert _states(cadenza_home, run_id)[-1] == ("SCHEDULED", "Resuming")
    second = _execute(run_id)
    assert second.returncode == 0, second.stderr[-3000:]
    assert (work / "answer").read_text() == "42"
    assert (work / "expensive").read_text() == "1"
    assert (work / "cheap").read_text() == "2"
    names = [name for _, name in _states(cadenza_home, run_id)]
    assert names[names.index("Suspended") :] == [
        "Suspended", "Resuming", "Pending", "Running", "Completed"
    ]  # fmt: skip


def test_a_timed_out_suspension_cannot_be_resumed_and_is_failed(
    tmp_path: Path, cadenza_home: Path
) -> None:
    from cadenza.deployments.local import LocalDeploymentsApi

    run_id = _deployment_run(tmp_path, work=str(tmp_path), timeout=0.5)
    assert _execute(run_id).returncode == 0
    assert _states(cadenza_home, run_id)[-1] == ("PAUSED", "Suspended")
    time.sleep(0.6)
    with pytest.raises(FlowPauseTimeout, match=r"was suspended and never resumed within 0\.5 s"):
        resume_flow_run(run_id, {"extra": 1})
    assert _states(cadenza_home, run_id)[-1] == ("FAILED", "Failed")

    other = _deployment_run(tmp_path, work=str(tmp_path), timeout=0.5)
    assert _execute(other).returncode == 0
    time.sleep(0.6)
    api = LocalDeploymentsApi()
    try:
        api.schedule()  # a serve process's round
    finally:
        api.close()
    assert _states(cadenza_home, other)[-1] == ("FAILED", "Failed")
