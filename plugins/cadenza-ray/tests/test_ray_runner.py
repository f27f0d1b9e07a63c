"""RayTaskRunner on a real Ray cluster: results, states, logs, retries, caching, crashes,
cancellation and scale, all recorded by the flow's process."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from cadenza import flow, get_run_logger, task
from cadenza.cache_policies import INPUTS

from cadenza_ray import RayTaskRunner, remote_options

# a Ray cluster
pytestmark = pytest.mark.integration


@task
def inc(x: int) -> int:
    return x + 1


@task
def where(x: int) -> int:
    get_run_logger().info("running %s in %s", x, os.getpid())
    return os.getpid()


@task
def fail(message: str) -> None:
    raise ValueError(message)


@task(retries=2)
def fails_once(marker: str) -> str:
    get_run_logger().info("attempt in %s", os.getpid())
    if not os.path.exists(marker):
        Path(marker).touch()
        raise RuntimeError("the first attempt fails")
    return "recovered"


@task
def dies(marker: str) -> None:
    get_run_logger().info("before dying")
    Path(marker).touch()
    os._exit(3)  # the worker process dies: no outcome travels back


@task
def naps_until_interrupted(started: str, interrupted: str) -> str:
    Path(started).touch()
    try:
        # short naps: Ray's KeyboardInterrupt arrives at the next Python instruction, so one
        # long time.sleep would end first
        for _ in range(1200):
            time.sleep(0.05)
    except KeyboardInterrupt:
        Path(interrupted).touch()  # Ray cancelled the body under way
        raise
    return "slept"


def _states(record, task_run_id: str) -> list[tuple[str, str]]:
    return record("SELECT type, name FROM run_states WHERE run_id = ? ORDER BY id", task_run_id)


def _wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout} s")
        time.sleep(0.05)


def test_address_connects_to_the_running_cluster_and_leaves_it_running(ray_address):
    import ray

    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        return inc.submit(41).result()

    assert f() == 42
    assert ray.is_initialized()  # the runner neither stopped nor left the session's cluster
    assert ray.get_runtime_context().gcs_address == ray_address
    assert [node["Alive"] for node in ray.nodes()] == [True]


def test_an_address_of_another_cluster_is_refused_naming_both(ray_address):
    @flow(task_runner=RayTaskRunner(address="127.0.0.1:1"))
    def f():
        inc.submit(1)

    with pytest.raises(RuntimeError, match=r"address='127\.0\.0\.1:1'.*already connected"):
        f()


def test_worker_runs_are_recorded_with_their_states_and_logs(ray_address, record):
    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        futures = where.map([1, 2, 3])
        return {fut.task_run_id: fut.result() for fut in futures}

    pids = f()
    assert os.getpid() not in pids.values()  # the bodies ran in Ray's worker processes
    rows = record(
        "SELECT t.id, t.state_type, l.message FROM task_runs t "
        "JOIN logs l ON l.task_run_id = t.id WHERE t.task_name = 'where' ORDER BY t.id"
    )
    assert {run_id for run_id, _, _ in rows} == set(pids)
    for run_id, state_type, message in rows:
        assert state_type == "COMPLETED"
        assert message.endswith(f"in {pids[run_id]}")
    for run_id in pids:
        assert _states(record, run_id) == [
            ("PENDING", "Pending"),
            ("RUNNING", "Running"),
            ("COMPLETED", "Completed"),
        ]


def test_failures_are_recorded_and_stop_dependents(ray_address, record):
    seen = []

    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        bad = fail.submit("broken on ray")
        after = inc.submit(bad)
        after.wait()
        seen.extend([bad.state, after.state])

    f()
    bad, after = seen
    assert bad.is_failed() and "broken on ray" in bad.message
    with pytest.raises(ValueError, match="broken on ray"):  # the exception itself came back
        bad.result()
    assert after.is_failed() and after.name == "NotReady"
    assert record("SELECT task_name, state_name FROM task_runs ORDER BY created") == [
        ("fail", "Failed"),
        ("inc", "NotReady"),
    ]


def test_retries_run_on_the_worker_and_every_attempt_is_recorded(ray_address, record, tmp_path):
    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        future = fails_once.submit(str(tmp_path / "failed-once"))
        return future.result(), future.task_run_id

    value, run_id = f()
    assert value == "recovered"
    assert record("SELECT run_count, state_type FROM task_runs WHERE id = ?", run_id) == [
        (2, "COMPLETED")
    ]
    names = [name for _, name in _states(record, run_id)]
    assert names == ["Pending", "Running", "Failed", "AwaitingRetry", "Retrying", "Completed"]
    messages = record("SELECT message FROM logs WHERE task_run_id = ? ORDER BY id", run_id)
    assert sum(m.startswith("attempt in ") for (m,) in messages) == 2


def test_cache_hits_are_served_without_running_on_the_cluster(
    ray_address, record, shared_results, monkeypatch
):
    launched = []
    original = RayTaskRunner.launch

    def spy(self, ready):
        launched.append(ready.task_run.id)
        original(self, ready)

    monkeypatch.setattr(RayTaskRunner, "launch", spy)

    @task(cache_policy=INPUTS, result_storage=str(shared_results))
    def cube(x: int) -> tuple[int, int]:
        return x**3, os.getpid()

    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        first = cube.submit(3)
        value = first.result()  # persisted by the worker, its cache entry recorded here
        second = cube.submit(3)
        return value, second.result(), second.state.name, first.task_run_id, second.task_run_id

    first, second, name, first_id, second_id = f()
    assert first == second and first[0] == 27
    assert first[1] != os.getpid()  # computed on a Ray worker ...
    assert name == "Cached"
    assert launched == [first_id]  # ... and the hit was served here, never sent to Ray
    assert record("SELECT count(*) FROM cache_entries") == [(1,)]
    assert [n for _, n in _states(record, second_id)] == ["Pending", "Cached"]
    assert any(shared_results.iterdir())  # the worker wrote the result where both can read it


def test_a_task_that_kills_its_worker_crashes_keeping_its_lines(ray_address, record, tmp_path):
    marker = tmp_path / "died"

    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        with remote_options(max_retries=0):  # Ray would otherwise run it again (3 times)
            killed = dies.submit(str(marker))
        killed.wait(timeout=60)
        return killed.state, inc.submit(1).result(timeout=60)

    state, after = f()
    assert marker.exists()
    assert state.is_crashed()
    assert "could not be executed" in state.message
    assert "died" in state.message.lower() or "crash" in state.message.lower()
    assert after == 2  # the flow went on, on a new worker
    ((run_id,),) = record("SELECT id FROM task_runs WHERE task_name = 'dies'")
    messages = [m for (m,) in record("SELECT message FROM logs WHERE task_run_id = ?", run_id)]
    assert messages[0] == "before dying"  # spooled by the worker before it died
    assert "could not be executed" in messages[-1]
    assert record("SELECT state_type FROM flow_runs") == [("COMPLETED",)]


def test_cancel_all_interrupts_runs_under_way_on_the_cluster(ray_address, record, tmp_path):
    started, interrupted = tmp_path / "started", tmp_path / "interrupted"
    seen = []

    @flow
    def f():
        with RayTaskRunner(address=ray_address) as runner:
            future = runner.submit(
                naps_until_interrupted, {"started": str(started), "interrupted": str(interrupted)}
            )
            _wait_for(started)
            runner.cancel_all(KeyboardInterrupt(), grace=0.2)
            seen.append(future.state)

    f()
    (state,) = seen
    assert state.is_crashed() and "abandoned" in state.message
    _wait_for(interrupted)  # Ray raised KeyboardInterrupt in the body: it did not sleep on
    assert record("SELECT state_type FROM task_runs") == [("CRASHED",)]


def test_shutdown_without_waiting_crashes_runs_still_on_the_cluster(ray_address, tmp_path):
    started, interrupted = tmp_path / "started", tmp_path / "interrupted"
    runner = RayTaskRunner(address=ray_address).__enter__()
    future = runner.submit(
        naps_until_interrupted, {"started": str(started), "interrupted": str(interrupted)}
    )
    _wait_for(started)
    began = time.monotonic()
    runner.shutdown(wait=False)
    future.wait(timeout=30)
    assert time.monotonic() - began < 5  # did not wait for the body
    assert future.state.is_crashed()
    assert "cancelled: runner shut down" in future.state.message
    _wait_for(interrupted)


@pytest.mark.slow
def test_a_thousand_mapped_tasks_complete_and_are_all_recorded(ray_address, record):
    @flow(task_runner=RayTaskRunner(address=ray_address))
    def f():
        started = time.perf_counter()
        values = inc.map(range(1000)).result()
        return values, time.perf_counter() - started

    values, seconds = f()
    print(f"\n1000 mapped tasks on Ray (2 CPUs): {seconds:.2f} s")
    assert values == [i + 1 for i in range(1000)]
    assert record("SELECT count(*), min(state_type), max(state_type) FROM task_runs") == [
        (1000, "COMPLETED", "COMPLETED")
    ]
