"""`python -m cadenza.deployments.execute RUN_ID` on the embedded record: the child process a
worker or `serve` starts for a claimed run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cadenza.deployments.local import LocalDeploymentsApi

FLOW = textwrap.dedent(
    """
    from cadenza import flow, task

    @task
    def double(x):
        return 2 * x

    @flow
    def etl(n: int = 1):
        print("running with", n)
        return double(n)
    """
)


def _run(run_id: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadenza.deployments.execute", run_id],
        capture_output=True, text=True, timeout=120, cwd=cwd, env=dict(os.environ),
    )  # fmt: skip


@pytest.fixture
def api(cadenza_home: Path):
    local = LocalDeploymentsApi()
    yield local
    local.close()


def test_a_claimed_run_is_executed_as_itself(api: LocalDeploymentsApi, tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text(FLOW)
    deployment = api.apply({"flow_name": "etl", "name": "d", "entrypoint": "flows.py:etl",
                            "path": str(tmp_path), "parameters": {"n": 2}})  # fmt: skip
    run = api.create_flow_run(deployment["id"], parameters={"n": 21}, scheduled_time=time.time())
    claimed = api.claim("test", [deployment["id"]], 10, 60)
    assert [r["id"] for r in claimed["runs"]] == [run["id"]]
    proc = _run(run["id"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = api.read_flow_run(run["id"])
    assert (after["state_type"], after["deployment_id"]) == ("COMPLETED", deployment["id"])
    show = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "runs", "show", run["id"], "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert '"SCHEDULED"' in show.stdout and '"RUNNING"' in show.stdout


def test_a_flow_that_cannot_load_ends_crashed_with_the_traceback_in_its_logs(
    api: LocalDeploymentsApi, tmp_path: Path
) -> None:
    (tmp_path / "broken.py").write_text("import no_such_module_here\n")
    deployment = api.apply({"flow_name": "etl", "name": "broken",
                            "entrypoint": "broken.py:etl", "path": str(tmp_path)})  # fmt: skip
    run = api.create_flow_run(deployment["id"])
    api.claim("test", [deployment["id"]], 10, 60)
    proc = _run(run["id"], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    after = api.read_flow_run(run["id"])
    assert after["state_type"] == "CRASHED"
    assert "no_such_module_here" in after["state_message"]
    logs = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "runs", "logs", run["id"]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Traceback" in logs.stdout and "no_such_module_here" in logs.stdout, logs.stdout
