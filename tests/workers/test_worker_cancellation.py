"""Cancelling deployment runs that a real worker runs (server on SQLite and PostgreSQL): the
child stops its run and reports Cancelled; a child that ignores the request is killed after the
grace period and its run recorded Cancelled; a scheduled run cancelled never starts."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

from worker_helpers import Workers, wait_until

FLOWS = textwrap.dedent(
    """
    import signal, time
    from pathlib import Path

    from cadenza import flow, task

    @task
    def tick(i):
        time.sleep(0.05)
        return i

    def noted(flow, run, state):
        Path(flow.fn.__globals__["MARK"]).write_text(state.name)

    MARK = str(Path(__file__).with_name("hook.txt"))

    @flow(on_cancellation=[noted])
    def loops(n: int = 100000):
        Path(__file__).with_name("started.txt").write_text("yes")
        for i in range(n):
            tick(i)

    @flow
    def stubborn():
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the fast path (a signal) is refused
        Path(__file__).with_name("started.txt").write_text("yes")
        time.sleep(300)  # in C: an exception raised in this thread waits until it returns
    """
)


def deploy(client: Any, pool: str, tmp_path: Path, flow_name: str) -> dict[str, Any]:
    (tmp_path / "flows.py").write_text(FLOWS)
    spec = {"flow_name": flow_name, "name": f"d-{pool}", "entrypoint": f"flows.py:{flow_name}",
            "path": str(tmp_path), "work_pool_name": pool}  # fmt: skip
    return dict(client.apply_deployment(spec))


def state(client: Any, run_id: str) -> dict[str, Any]:
    return dict(client.get_flow_run(run_id)["state"])


def test_a_worker_run_that_is_cancelled_stops_and_reports_cancelled(
    client: Any, pool: str, workers: Workers, tmp_path: Path
) -> None:
    deployment = deploy(client, pool, tmp_path, "loops")
    run = client.create_flow_run_from_deployment(deployment["id"])
    workers.start(pool)
    wait_until(lambda: (tmp_path / "started.txt").exists(), 60,
               f"the run to start\n{workers.logs()[-3000:]}")  # fmt: skip
    time.sleep(0.5)
    asked = time.monotonic()
    answer = client.cancel_flow_run(run["id"], reason="operator test")
    assert answer["cancelling"] == [run["id"]] and not answer["final"]
    wait_until(lambda: state(client, run["id"])["type"] == "CANCELLED", 20,
               f"the run to be Cancelled\n{workers.logs()[-3000:]}")  # fmt: skip
    latency = time.monotonic() - asked
    print(f"cancel latency (request -> Cancelled, worker child, sync task loop): {latency:.2f} s")
    assert latency < 5
    final = state(client, run["id"])
    assert "cancellation request" in final["message"], final
    assert (tmp_path / "hook.txt").read_text() == "Cancelled"  # on_cancellation ran
    # its task runs are all final: none left Running
    tasks = client.get_task_runs_page(run["id"], limit=10_000)
    assert tasks and all(t["state"]["type"] in {"COMPLETED", "CANCELLED"} for t in tasks), tasks


def test_a_child_that_ignores_the_cancellation_is_killed_after_the_grace_period(
    client: Any, pool: str, workers: Workers, tmp_path: Path
) -> None:
    deployment = deploy(client, pool, tmp_path, "stubborn")
    run = client.create_flow_run_from_deployment(deployment["id"])
    proc = workers.start(pool, env={"CADENZA_CANCELLATION_GRACE": "2"})
    wait_until(lambda: (tmp_path / "started.txt").exists(), 60,
               f"the run to start\n{workers.logs()[-3000:]}")  # fmt: skip
    asked = time.monotonic()
    client.cancel_flow_run(run["id"])
    wait_until(lambda: state(client, run["id"])["type"] == "CANCELLED", 30,
               f"the worker to kill the child\n{workers.logs()[-3000:]}")  # fmt: skip
    took = time.monotonic() - asked
    assert 1.5 < took < 15, took
    final = state(client, run["id"])
    assert "did not acknowledge the cancellation within 2 s" in final["message"], final
    assert "killed" in final["message"]
    wait_until(lambda: "ended" in workers.log(0), 20, "the worker to see its child end")
    assert proc.poll() is None  # the worker itself goes on serving


def test_a_scheduled_run_that_is_cancelled_never_starts(
    client: Any, pool: str, workers: Workers, tmp_path: Path
) -> None:
    deployment = deploy(client, pool, tmp_path, "loops")
    run = client.create_flow_run_from_deployment(deployment["id"], scheduled_time=time.time() + 2)
    answer = client.cancel_flow_run(run["id"])
    assert answer["cancelled"] == [run["id"]]
    assert state(client, run["id"])["type"] == "CANCELLED"
    workers.start(pool)
    time.sleep(4)  # past its scheduled time, several claims later
    assert state(client, run["id"])["type"] == "CANCELLED"
    assert not (tmp_path / "started.txt").exists()
    again = client.cancel_flow_run(run["id"])
    assert again["final"] is True
