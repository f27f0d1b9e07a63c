"""SIGKILL a flow process at each moment of its life; the record ends truthful — Completed, or
Crashed with a reason — with nothing left Running and nothing duplicated (issue 12, defects 5
and 6: the kill matrix)."""

from __future__ import annotations

import pytest

from faults.killing import FlowProcess, truthful_embedded

pytestmark = pytest.mark.slow


def test_killed_mid_task_the_run_is_crashed_and_finished_tasks_kept(tmp_path, cadenza_home):
    env = {"CADENZA_HOME": str(cadenza_home)}
    flow = FlowProcess(tmp_path, env, n=50, stop_at=30)
    flow.wait_for("MID-TASK")
    assert flow.kill() == -9
    (run,) = truthful_embedded(cadenza_home, env)
    assert run["state"]["type"] == "CRASHED"
    assert "exited without finishing" in run["state"]["message"]


def test_killed_in_its_first_moments_the_run_is_on_record(tmp_path, cadenza_home):
    """Once the body runs, the run is on disk: a kill right then leaves a run to mark
    Crashed, not nothing (defect 6)."""
    env = {"CADENZA_HOME": str(cadenza_home), "CADENZA_FLUSH_INTERVAL": "60"}
    flow = FlowProcess(tmp_path, env, n=5, stop_at=0)
    flow.wait_for("IN-FLOW")
    flow.kill()
    (run,) = truthful_embedded(cadenza_home, env)
    assert run["name"] == "killed"
    assert run["state"]["type"] == "CRASHED"


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3])
def test_killed_at_any_moment_the_record_is_truthful(tmp_path, cadenza_home, delay):
    """Before the first transition, between batches, in the middle of one: wherever the kill
    lands, no run is left active and nothing is recorded twice."""
    import time

    env = {"CADENZA_HOME": str(cadenza_home), "CADENZA_FLUSH_INTERVAL": "0.01"}
    flow = FlowProcess(tmp_path, env, n=3000)
    time.sleep(delay)
    flow.kill()
    runs = truthful_embedded(cadenza_home, env)
    assert len(runs) <= 1
    if runs:
        assert runs[0]["state"]["type"] in ("CRASHED", "COMPLETED")
