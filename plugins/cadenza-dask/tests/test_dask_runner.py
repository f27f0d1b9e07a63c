"""DaskTaskRunner on a real cluster: starting and connecting, records, crashes, scale."""

from __future__ import annotations

import os
import time

import pytest
from cadenza import flow, get_run_logger, task
from cadenza.cache_policies import INPUTS
from cadenza.context import FlowRunContext
from cadenza.task_runners import ThreadPoolTaskRunner

from cadenza_dask import DaskTaskRunner

# Dask clusters
pytestmark = pytest.mark.integration


@task
def inc(x):
    return x + 1


@task
def where(x):
    get_run_logger().info("running %s in %s", x, os.getpid())
    return os.getpid()


@task
def kill_worker():
    os._exit(1)


@task
def slow(seconds):
    time.sleep(seconds)
    return seconds


def _runner():
    """The started runner of the flow run in progress."""
    ctx = FlowRunContext.get()
    assert ctx is not None
    return ctx.started_task_runner(ThreadPoolTaskRunner)


def _listening_hosts() -> set[str]:
    """The addresses that this process and its children (nannies, workers) listen on."""
    import psutil

    hosts = set()
    me = psutil.Process()
    for proc in [me, *me.children(recursive=True)]:
        try:
            connections = proc.net_connections(kind="inet")
        except psutil.Error:
            continue
        hosts |= {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN}
    return hosts


def _http_status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_default_runner_starts_a_loopback_cluster_without_dashboard_and_stops_it():
    @flow(task_runner=DaskTaskRunner())
    def f():
        value = inc.submit(1).result()
        runner = _runner()
        cluster = runner.cluster
        workers = list(runner.client.scheduler_info()["workers"])
        http_port = runner.client.scheduler_info()["services"]["dashboard"]
        dashboard = _http_status(f"http://127.0.0.1:{http_port}/status")
        return value, cluster, cluster.scheduler_address, workers, _listening_hosts(), dashboard

    value, cluster, address, workers, hosts, dashboard = f()
    assert value == 2
    assert address.startswith("tcp://127.0.0.1:")
    assert workers and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    assert hosts == {"127.0.0.1"}  # scheduler, nannies and workers: loopback only
    assert dashboard == 404  # the scheduler's HTTP endpoint (health, metrics) serves no dashboard
    assert cluster.status.name == "closed"  # the runner started it, so the runner stopped it


def test_address_connects_to_a_running_cluster_and_leaves_it_running(dask_cluster, dask_address):
    @flow(task_runner=DaskTaskRunner(address=dask_address))
    def f():
        runner = _runner()
        return inc.submit(41).result(), runner.cluster, runner.client.scheduler.address

    value, own_cluster, connected_to = f()
    assert (value, own_cluster, connected_to) == (42, None, dask_address)
    assert dask_cluster.status.name == "running"
    assert len(dask_cluster.scheduler.workers) == 2
    deadline = time.monotonic() + 10  # the runner's client released every task it submitted
    while dask_cluster.scheduler.tasks and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not dask_cluster.scheduler.tasks


def test_worker_runs_are_recorded_with_their_logs(dask_address, record):
    @flow(task_runner=DaskTaskRunner(address=dask_address))
    def f():
        futures = where.map([1, 2, 3])
        return {fut.task_run_id: fut.result() for fut in futures}

    pids = f()
    assert os.getpid() not in pids.values()  # the bodies ran in the worker processes
    rows = record(
        "SELECT t.id, t.state_type, l.message FROM task_runs t "
        "JOIN logs l ON l.task_run_id = t.id WHERE t.task_name = 'where' ORDER BY t.id"
    )
    assert {run_id for run_id, _, _ in rows} == set(pids)
    for run_id, state_type, message in rows:
        assert state_type == "COMPLETED"
        assert message.endswith(f"in {pids[run_id]}")
    states = record(
        "SELECT type FROM run_states WHERE run_id = ? ORDER BY id",
        next(iter(pids)),
    )
    assert [s for (s,) in states] == ["PENDING", "RUNNING", "COMPLETED"]


def test_a_task_that_kills_its_worker_crashes_and_the_flow_goes_on(record):
    # A cluster of its own (killing workers must not disturb the session cluster), which also
    # shows cluster_kwargs passing through: Dask reruns a task whose worker died up to
    # allowed-failures times; 1 keeps this test short.
    runner = DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "scheduler_kwargs": {"allowed_failures": 1},
        }
    )

    @flow(task_runner=runner)
    def f():
        killed = kill_worker.submit()
        killed.wait(timeout=120)
        return killed.state, inc.submit(1).result(timeout=120)

    state, after = f()
    assert state.is_crashed()
    assert "KilledWorker" in state.message
    assert after == 2  # the flow went on, on the workers Dask restarted
    assert record("SELECT state_type FROM task_runs WHERE task_name='kill_worker'") == [
        ("CRASHED",)
    ]
    assert record("SELECT state_type FROM flow_runs") == [("COMPLETED",)]


def test_shutdown_without_waiting_crashes_runs_still_on_the_cluster(dask_address, record):
    # Dask cannot stop a task body that already runs: keep it short, it still occupies a worker.
    runner = DaskTaskRunner(address=dask_address).__enter__()
    future = runner.submit(slow, {"seconds": 2})
    time.sleep(0.5)
    started = time.monotonic()
    runner.shutdown(wait=False)
    future.wait(timeout=30)
    assert time.monotonic() - started < 1.5  # did not wait for the body
    assert future.state.is_crashed()
    assert "cancelled" in future.state.message


@pytest.mark.slow
def test_a_thousand_mapped_tasks_complete_and_are_all_recorded(dask_address, record):
    @flow(task_runner=DaskTaskRunner(address=dask_address))
    def f():
        _runner()  # connect before timing
        started = time.perf_counter()
        values = inc.map(range(1000)).result()
        return values, time.perf_counter() - started

    values, seconds = f()
    print(f"\n1000 mapped tasks on Dask (2 worker processes): {seconds:.2f} s")
    assert values == [i + 1 for i in range(1000)]
    assert record("SELECT count(*), min(state_type), max(state_type) FROM task_runs") == [
        (1000, "COMPLETED", "COMPLETED")
    ]


def test_cache_hits_are_served_without_running_on_the_cluster(record, tmp_path, monkeypatch):
    # A cluster of its own, started after the signing key is set, so its workers sign results
    # with the key this process reads them with.
    monkeypatch.setenv("CADENZA_RESULTS_SIGNING_KEY", "5eed" * 16)
    results = tmp_path / "shared-results"
    results.mkdir()
    launched = []
    original = DaskTaskRunner.launch

    def spy(self, ready):
        launched.append(ready.task_run.id)
        original(self, ready)

    monkeypatch.setattr(DaskTaskRunner, "launch", spy)

    @task(cache_policy=INPUTS, result_storage=str(results))
    def cube(x: int) -> tuple[int, int]:
        return x**3, os.getpid()

    options = {"n_workers": 1, "threads_per_worker": 1, "processes": True}

    @flow(task_runner=DaskTaskRunner(cluster_kwargs=options))
    def f():
        first = cube.submit(3)
        value = first.result()  # persisted by the worker, its cache entry recorded here
        second = cube.submit(3)
        return value, second.result(), second.state.name, first.task_run_id, second.task_run_id

    first, second, name, first_id, second_id = f()
    assert first == second and first[0] == 27
    assert first[1] != os.getpid()  # computed on a Dask worker ...
    assert name == "Cached"
    assert launched == [first_id]  # ... and the hit was served here, never sent to Dask
    assert record("SELECT count(*) FROM cache_entries") == [(1,)]
    states = record("SELECT name FROM run_states WHERE run_id = ? ORDER BY id", second_id)
    assert [n for (n,) in states] == ["Pending", "Cached"]
