"""`cadenza worker start` processes serving a work pool of a real server (SQLite, PostgreSQL):
each run runs once, a killed worker's runs end Crashed, a flow that cannot load or a child
that dies is reported, and job variables reach the flow."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from worker_helpers import Workers, wait_until

FLOWS = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    from cadenza import flow

    @flow
    def quick(i: int = 0):
        return i

    @flow
    def sleepy(seconds: float = 60):
        time.sleep(seconds)

    @flow
    def env_echo(out: str):
        Path(out).write_text(os.environ.get("WORKER_TEST_MARK", "<unset>") + "|" + os.getcwd())

    @flow
    def dies():
        print("about to die", file=sys.stderr, flush=True)
        os._exit(3)
    """
)
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def deploy(client: Any, pool: str, tmp_path: Path, flow_name: str, entrypoint: str,
           **extra: Any) -> dict[str, Any]:  # fmt: skip
    (tmp_path / "flows.py").write_text(FLOWS)
    spec = {"flow_name": flow_name, "name": f"d-{pool}", "entrypoint": entrypoint,
            "path": str(tmp_path), "work_pool_name": pool, **extra}  # fmt: skip
    return dict(client.apply_deployment(spec))


def state(client: Any, run_id: str) -> str:
    return str(client.get_flow_run(run_id)["state"]["type"])


def test_two_workers_run_200_runs_each_exactly_once(
    client: Any, pool: str, workers: Workers, tmp_path: Path
) -> None:
    deployment = deploy(client, pool, tmp_path, "quick", "flows.py:quick")
    ids = [client.create_flow_run_from_deployment(deployment["id"], parameters={"i": i})["id"]
           for i in range(200)]  # fmt: skip
    # leases of 10 s: 16 children starting at once on a small CI machine are slow to heartbeat
    slow = {"CADENZA_HEARTBEAT_INTERVAL": "5"}
    first = workers.start(pool, "--limit", "8", env=slow)
    second = workers.start(pool, "--limit", "8", env=slow)
    pending = set(ids)

    def all_done() -> bool:
        for run_id in list(pending):
            if state(client, run_id) in FINAL:
                pending.discard(run_id)
        return not pending

    wait_until(all_done, 300, f"200 runs to end ({len(pending)} left)\n{workers.logs()[-3000:]}",
               interval=0.5)  # fmt: skip
    assert workers.stop(first) == 0 and workers.stop(second) == 0, workers.logs()[-3000:]
    running_counts: dict[int, int] = {}
    for run_id in ids:
        run = client.get_flow_run(run_id)
        assert run["state"]["type"] == "COMPLETED", run
        types = [s["type"] for s in run["states"]]
        assert "SCHEDULED" not in types[-1:]
        n = types.count("RUNNING")
        running_counts[n] = running_counts.get(n, 0) + 1
    assert running_counts == {1: 200}
    listed = client.list_flow_runs(state="SCHEDULED", limit=1000)
    assert not [r for r in listed if r["id"] in set(ids)]
    assert not [r for r in client.list_flow_runs(state="PENDING", limit=1000) if r["id"] in ids]
    # both workers took part
    started = [re.findall(r"Started flow run .*? \((\S+)\)", workers.log(n)) for n in range(2)]
    twice = {i for i in started[0] + started[1] if (started[0] + started[1]).count(i) > 1}
    context = [line for line in workers.logs().splitlines() if any(i in line for i in twice)]
    assert not twice, "\n".join(context)
    assert sum(map(len, started)) == 200 and min(map(len, started)) > 0


def test_a_killed_worker_leaves_its_runs_crashed_within_the_lease(
    client: Any, pool: str, workers: Workers, tmp_path: Path
) -> None:
    deployment = deploy(client, pool, tmp_path, "sleepy", "flows.py:sleepy")
    run = client.create_flow_run_from_deployment(deployment["id"])
    proc = workers.start(pool)
    wait_until(lambda: state(client, run["id"]) == "RUNNING", 60,
               f"the run to start\n{workers.logs()[-3000:]}")  # fmt: skip
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    killed = time.monotonic()
    wait_until(lambda: state(client, run["id"]) == "CRASHED", 20, "the reaper to crash the run")
    # a lease of two 1 s heartbeats, a 0.2 s reaper round
    assert time.monotonic() - killed < 10


def test_a_flow_that_cannot_load_is_crashed_with_its_traceback_in_the_logs(
    client: Any, pool: str, workers: Workers, tmp_path: Path, worker_env: dict[str, str]
) -> None:
    (tmp_path / "broken.py").write_text("import no_such_module_for_workers\n")
    deployment = deploy(client, pool, tmp_path, "broken", "broken.py:broken")
    run = client.create_flow_run_from_deployment(deployment["id"])
    proc = workers.start(pool, "--run-once")
    assert proc.wait(120) == 0, workers.logs()
    after = client.get_flow_run(run["id"])
    assert after["state"]["type"] == "CRASHED"
    assert "no_such_module_for_workers" in after["state"]["message"]
    logs = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "runs", "logs", run["id"]],
        capture_output=True, text=True, timeout=60, env=worker_env,
    )  # fmt: skip
    assert "Traceback" in logs.stdout and "no_such_module_for_workers" in logs.stdout, logs


def test_a_child_that_dies_is_crashed_by_the_worker_with_its_error_output(
    client: Any, pool: str, workers: Workers, tmp_path: Path, worker_env: dict[str, str]
) -> None:
    deployment = deploy(client, pool, tmp_path, "dies", "flows.py:dies")
    run = client.create_flow_run_from_deployment(deployment["id"])
    proc = workers.start(pool, "--run-once")
    assert proc.wait(120) == 0, workers.logs()
    after = client.get_flow_run(run["id"])
    assert after["state"]["type"] == "CRASHED", after
    assert "exited with status 3" in after["state"]["message"]
    assert "about to die" in after["state"]["message"]
    logs = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "runs", "logs", run["id"]],
        capture_output=True, text=True, timeout=60, env=worker_env,
    )  # fmt: skip
    assert "about to die" in logs.stdout, logs


def test_job_variables_set_the_environment_and_working_directory(
    client: Any, pool: str, workers: Workers, tmp_path: Path
) -> None:
    out = tmp_path / "seen.txt"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    deployment = deploy(
        client, pool, tmp_path, "env_echo", "flows.py:env_echo", parameters={"out": str(out)},
        job_variables={"env": {"WORKER_TEST_MARK": "from-the-deployment"}},
    )  # fmt: skip
    run = client.create_flow_run_from_deployment(deployment["id"])
    proc = workers.start(pool, "--run-once")
    assert proc.wait(120) == 0, workers.logs()
    assert state(client, run["id"]) == "COMPLETED", workers.logs()
    assert out.read_text() == f"from-the-deployment|{tmp_path}"
    # a run's own job variables go over the deployment's
    run = client.create_flow_run_from_deployment(
        deployment["id"], job_variables={"env": {"WORKER_TEST_MARK": "from-the-run"},
                                         "working_dir": str(elsewhere)},
    )  # fmt: skip
    proc = workers.start(pool, "--run-once")
    assert proc.wait(120) == 0, workers.logs()
    assert state(client, run["id"]) == "COMPLETED", workers.logs()
    assert out.read_text() == f"from-the-run|{elsewhere}"
