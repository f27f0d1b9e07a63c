"""Futures, submit, map and dependencies: the same behaviour on every task runner."""

from __future__ import annotations

import asyncio
import time

import dask_cluster
import pytest
import ray_cluster

from cadenza import flow, get_run_logger, task, unmapped
from cadenza.annotations import allow_failure
from cadenza.futures import as_completed, wait
from cadenza.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner


@task
def inc(x, by=1):
    return x + by


@task
def add(a, b):
    return a + b


@task
def fail(message):
    raise ValueError(message)


@task
def describe(value):
    return f"got {value!r}"


@task
def log_and_return(x):
    get_run_logger().info("value is %s", x)
    return x


_attempts: dict[str, int] = {}


@task(retries=2)
def flaky_once(key):
    import os

    marker = f"{key}.{os.getpid()}"
    _attempts[marker] = _attempts.get(marker, 0) + 1
    if _attempts[marker] == 1:
        raise RuntimeError("first attempt fails")
    return "recovered"


RUNNERS = {
    "threads": lambda: ThreadPoolTaskRunner(max_workers=2),
    "processes": lambda: ProcessPoolTaskRunner(max_workers=2),
}

# Where the cadenza-dask plugin is installed (`make venv` installs it), every test here also runs
# on Dask: runners connect to one real LocalCluster (2 worker processes), started on first use
# and stopped when this module's tests are done (dask_cluster.py).
if dask_cluster.DaskTaskRunner is not None:
    RUNNERS["dask"] = dask_cluster.runner
# And on Ray, where cadenza-ray is installed: one real local cluster (ray_cluster.py), the same way.
if ray_cluster.RayTaskRunner is not None:
    RUNNERS["ray"] = ray_cluster.runner


# runs in worker processes, or on a Dask cluster, start something real: integration tests
@pytest.fixture(
    params=[
        name if name == "threads" else pytest.param(name, marks=pytest.mark.integration)
        for name in sorted(RUNNERS)
    ]
)
def runner(request):
    return RUNNERS[request.param]()


def test_submit_returns_a_future_of_the_result(runner, record):
    @flow(task_runner=runner)
    def f():
        future = inc.submit(41)
        return future.result(), future.state.is_completed(), future.task_run_id

    value, completed, task_run_id = f()
    assert (value, completed) == (42, True)
    assert record("SELECT state_type FROM task_runs WHERE id=?", task_run_id) == [("COMPLETED",)]


def test_futures_as_arguments_are_dependencies(runner):
    @flow(task_runner=runner)
    def f():
        a = inc.submit(1)
        b = inc.submit(a)
        return add.submit(a, b).result()

    assert f() == 5


def test_map_with_unmapped_and_every_run_recorded(runner, record):
    @flow(task_runner=runner)
    def f():
        return inc.map([1, 2, 3], by=unmapped(10)).result()

    assert f() == [11, 12, 13]
    rows = record("SELECT count(*), min(state_type), max(state_type) FROM task_runs")
    assert rows == [(3, "COMPLETED", "COMPLETED")]


def test_map_over_a_future_of_a_list(runner):
    @task
    def numbers():
        return [1, 2, 3]

    @flow(task_runner=runner)
    def f():
        return inc.map(numbers.submit()).result()

    assert f() == [2, 3, 4]


def test_map_rejects_iterables_of_different_lengths(runner):
    @flow(task_runner=runner)
    def f():
        add.map([1, 2], [1, 2, 3])

    with pytest.raises(ValueError, match="different lengths"):
        f()


def test_upstream_failure_stops_downstream_unless_allowed(runner, record):
    @flow(task_runner=runner)
    def f():
        bad = fail.submit("broken")
        blocked = describe.submit(bad)
        allowed = describe.submit(allow_failure(bad))
        blocked.wait()
        return blocked.state, allowed.result()

    blocked, allowed = f()
    assert blocked.is_failed() and blocked.name == "NotReady"
    assert allowed == "got ValueError('broken')"  # allow_failure passes the exception
    assert sorted(
        n for (n,) in record("SELECT state_name FROM task_runs WHERE task_name='describe'")
    ) == ["Completed", "NotReady"]


def test_wait_for_orders_without_passing_data(runner):
    @flow(task_runner=runner)
    def f():
        first = inc.submit(0)
        second = inc.submit(10, wait_for=[first])
        done, not_done = wait([first, second])
        return first.state.timestamp <= second.state.timestamp, len(done), len(not_done)

    assert f() == (True, 2, 0)


def test_as_completed_yields_every_future(runner):
    @flow(task_runner=runner)
    def f():
        futures = inc.map(range(5))
        return sorted(fut.result() for fut in as_completed(futures))

    assert f() == [1, 2, 3, 4, 5]


def test_retries_and_logs_on_the_runner(runner, record):
    @flow(task_runner=runner)
    def f():
        return flaky_once.submit("k").result(), log_and_return.submit(7).result()

    assert f() == ("recovered", 7)
    (run_count,) = record("SELECT run_count FROM task_runs WHERE task_name='flaky_once'")[0]
    assert run_count == 2
    logs = record(
        "SELECT l.message FROM logs l JOIN task_runs t ON t.id = l.task_run_id "
        "WHERE t.task_name='log_and_return'"
    )
    assert logs == [("value is 7",)]


def test_flow_waits_for_submitted_runs_it_did_not_wait_for(runner, record):
    @task
    def slow(x):
        time.sleep(0.3)
        return x

    @flow(task_runner=runner)
    def f():
        slow.submit(1)
        return "returned early"

    assert f() == "returned early"
    assert record("SELECT state_type FROM task_runs") == [("COMPLETED",)]


def test_dependent_maps_cannot_deadlock_a_two_worker_pool(record):
    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def f():
        firsts = inc.map(range(1000))
        seconds = inc.map(firsts)
        return seconds.result()

    started = time.monotonic()
    assert f() == [i + 2 for i in range(1000)]
    assert time.monotonic() - started < 30
    assert record("SELECT count(*) FROM task_runs WHERE state_type='COMPLETED'") == [(2000,)]


def test_async_tasks_submitted_from_an_async_flow_run_concurrently():
    @task
    async def pause(x):
        await asyncio.sleep(0.5)
        return x

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
    async def f():
        futures = [pause.submit(i) for i in range(8)]
        return [await fut for fut in futures]

    started = time.monotonic()
    assert asyncio.run(f()) == list(range(8))
    assert time.monotonic() - started < 2.0


def test_submit_outside_a_flow_runs_on_a_default_pool(record):
    assert inc.submit(1).result() == 2
    assert record("SELECT flow_run_id FROM task_runs") == [(None,)]


def test_runner_options_are_validated():
    with pytest.raises(ValueError, match="max_workers"):
        ThreadPoolTaskRunner(max_workers=0)


# -- the extension hooks (docs/howto/write-a-task-runner.md) ---------------------------------------
def test_a_runner_overriding_the_old_private_hook_is_told_what_to_implement():
    from cadenza.task_runners import TaskRunner

    with pytest.raises(TypeError, match=r"OldRunner overrides _launch.*implement launch\(ready\)"):

        class OldRunner(TaskRunner):
            def _launch(self, *args):  # the hook before it was public
                pass


def test_a_runner_without_launch_crashes_its_runs_saying_so(record):
    from cadenza.task_runners import TaskRunner

    class Unfinished(TaskRunner):
        def duplicate(self):
            return Unfinished()

    states = []

    @flow(task_runner=Unfinished())
    def f():
        states.append(inc.submit(1).state)

    f()
    (state,) = states
    assert state.is_crashed()
    assert "Unfinished must implement launch(ready)" in state.message


def test_a_ready_run_is_stopped_only_while_its_runner_is_cancelled(record):
    from cadenza.task_runners import ReadyTaskRun, TaskRunner

    class Holding(TaskRunner):
        """Keeps every ready run, to settle it by hand."""

        def __init__(self):
            super().__init__()
            self.held: list[ReadyTaskRun] = []

        def duplicate(self):
            return self

        def launch(self, ready):
            self.held.append(ready)

    runner = Holding()
    seen = []

    @flow(task_runner=runner)
    def f():
        future = inc.submit(1)
        (ready,) = runner.held
        with pytest.raises(RuntimeError, match=r"use crash\(error\)"):
            ready.stop()
        runner.cancel_all(KeyboardInterrupt(), grace=0)
        seen.append((future.state, ready.stop(), ready.done))

    f()
    ((state, stopped, done),) = seen
    assert done and stopped is state
    assert state.is_cancelled()  # still Pending in this process: it never started
    assert record("SELECT state_type FROM task_runs") == [("CANCELLED",)]
