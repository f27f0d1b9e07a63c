"""Log lines of task runs that execute in worker processes or on a Dask or Ray cluster reach the
flow's record: with their own task run and flow run, in order, once each, whatever they hold —
and a run that fails or whose worker dies keeps the lines it logged first."""

from __future__ import annotations

import logging
import os

import dask_cluster
import pytest
import ray_cluster

from cadenza import flow, get_run_logger, task
from cadenza.task_runners import ProcessPoolTaskRunner

pytestmark = pytest.mark.integration  # worker processes, real Dask and Ray clusters

INFO, WARNING, ERROR = logging.INFO, logging.WARNING, logging.ERROR


RUNNERS = {"processes": lambda: ProcessPoolTaskRunner(max_workers=2)}
if dask_cluster.DaskTaskRunner is not None:
    RUNNERS["dask"] = dask_cluster.runner
if ray_cluster.RayTaskRunner is not None:
    RUNNERS["ray"] = ray_cluster.runner


@pytest.fixture(params=sorted(RUNNERS))
def runner(request):
    return RUNNERS[request.param]()


def _lines(record, task_name):
    """(flow_run_id, task_run_id, level, logger, message) of `task_name`'s runs, in order."""
    return record(
        "SELECT l.flow_run_id, l.task_run_id, l.level, l.logger, l.message FROM logs l "
        "JOIN task_runs t ON t.id = l.task_run_id WHERE t.task_name = ? ORDER BY l.id",
        task_name,
    )


@task(log_prints=True)
def three_lines(x):
    get_run_logger().info("info %s", x)
    print("printed", x)
    get_run_logger().warning("warning %s", x)
    return os.getpid()


def test_logger_print_and_warning_arrive_with_their_task_run(runner, record):
    @flow(task_runner=runner)
    def f():
        return three_lines.submit(1).result()

    worker_pid = f()
    assert worker_pid != os.getpid()  # it did run elsewhere
    ((flow_run_id, task_run_id),) = record("SELECT flow_run_id, id FROM task_runs")
    assert _lines(record, "three_lines") == [
        (flow_run_id, task_run_id, INFO, "cadenza.task_runs", "info 1"),
        (flow_run_id, task_run_id, INFO, "cadenza.task_runs", "printed 1"),
        (flow_run_id, task_run_id, WARNING, "cadenza.task_runs", "warning 1"),
    ]


def test_flow_log_prints_applies_to_its_remote_tasks(runner, record):
    @task
    def inherits():
        print("inherited print")

    @flow(task_runner=runner, log_prints=True)
    def f():
        inherits.submit().result()

    f()
    assert [row[4] for row in _lines(record, "inherits")] == ["inherited print"]


@task
def marker(i):
    for n in range(3):
        get_run_logger().info("marker %s line %s", i, n)
    return i


def test_sixteen_parallel_runs_keep_their_own_lines(runner, record):
    @flow(task_runner=runner)
    def f():
        return [future.result() for future in marker.map(range(16))]

    assert f() == list(range(16))
    runs = dict(record("SELECT id, name FROM task_runs WHERE task_name = 'marker'"))
    assert len(runs) == 16
    by_run: dict[str, list[str]] = {}
    for _, task_run_id, _, _, message in _lines(record, "marker"):
        by_run.setdefault(task_run_id, []).append(message)
    assert set(by_run) == set(runs)
    for task_run_id, messages in by_run.items():
        i = int(messages[0].split()[1])
        assert messages == [f"marker {i} line {n}" for n in range(3)]  # in order, once each
        assert runs[task_run_id] == f"marker-{i}"


@task
def awkward():
    get_run_logger().info("x" * 1_100_000)
    get_run_logger().info("file caf\udce9.csv and lone \ud800")
    get_run_logger().info("after")
    return "done"


def test_huge_and_unencodable_messages_do_not_break_the_run(runner, record):
    @flow(task_runner=runner)
    def f():
        return awkward.submit().result()

    assert f() == "done"
    messages = [row[4] for row in _lines(record, "awkward")]
    assert len(messages) == 3
    huge, odd, after = messages
    assert huge.startswith("x" * 1000) and len(huge) < 1_100_000  # cut, saying so
    assert huge.endswith("[truncated by cadenza: 1,100,000 characters in all]")
    assert odd == "file caf\\xe9.csv and lone \\ud800"
    assert after == "after"


@task
def logs_then_raises():
    get_run_logger().info("before the error")
    print("not captured: log_prints is off")
    raise ValueError("boom")


def test_a_failing_run_keeps_its_lines(runner, record):
    @flow(task_runner=runner)
    def f():
        return logs_then_raises.submit().result(raise_on_failure=False)

    f()
    (state,) = record("SELECT state_type FROM task_runs")[0]
    assert state == "FAILED"
    lines = _lines(record, "logs_then_raises")
    assert lines[0][2:] == (INFO, "cadenza.task_runs", "before the error")
    assert lines[1][2] == ERROR and "boom" in lines[1][4]
    assert len(lines) == 2


@task
def dies_once(marker_path):
    get_run_logger().info("before dying")
    if not os.path.exists(marker_path):
        open(marker_path, "w").close()
        os._exit(3)  # the worker process dies: no outcome travels back
    get_run_logger().info("second attempt")
    return "survived"


def test_a_run_whose_worker_dies_keeps_the_lines_it_logged(runner, record, tmp_path):
    @flow(task_runner=runner)
    def f():
        return dies_once.submit(str(tmp_path / "died")).result(raise_on_failure=False)

    f()
    ((state, task_run_id),) = record("SELECT state_type, id FROM task_runs")
    lines = [(row[1], row[2], row[4]) for row in _lines(record, "dies_once")]
    if isinstance(runner, ProcessPoolTaskRunner):  # the pool breaks: the run crashed
        assert state == "CRASHED"
        assert lines[0] == (task_run_id, INFO, "before dying")
        assert lines[1][1] == ERROR and "could not be executed" in lines[1][2]
        assert len(lines) == 2
    else:  # Dask or Ray ran it again on another worker: both attempts' lines, in order
        assert state == "COMPLETED"
        assert lines == [
            (task_run_id, INFO, "before dying"),
            (task_run_id, INFO, "before dying"),
            (task_run_id, INFO, "second attempt"),
        ]


@task
def uses_a_library_logger():
    logging.getLogger("rtlog_library").warning("from the library")


def test_extra_loggers_are_recorded_in_worker_processes(record, monkeypatch):
    monkeypatch.setenv("CADENZA_LOGGING_EXTRA_LOGGERS", "rtlog_library")

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))  # spawned now: with the setting
    def f():
        uses_a_library_logger.submit().result()

    f()
    ((task_run_id,),) = record("SELECT id FROM task_runs")
    lines = [row[1:] for row in _lines(record, "uses_a_library_logger")]
    assert lines == [(task_run_id, WARNING, "rtlog_library", "from the library")]
