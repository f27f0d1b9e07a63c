"""Caching happens only when asked for, and works across processes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from cadenza import flow, task
from cadenza.cache_policies import FLOW_PARAMETERS, INPUTS, NO_CACHE, RUN_ID, TASK_SOURCE, Inputs
from cadenza.task_runners import ProcessPoolTaskRunner
from cadenza.tasks import task_input_hash


def _counting_task(**options):
    calls = []

    @task(**options)
    def square(x):
        calls.append(x)
        return x * x

    return square, calls


def test_no_cache_unless_asked():
    square, calls = _counting_task()
    square(3)
    square(3)
    assert calls == [3, 3]


def test_cache_hit_skips_the_body_and_is_recorded_cached(record):
    square, calls = _counting_task(cache_policy=INPUTS)
    first = square(4, return_state=True)
    second = square(4, return_state=True)
    third = square(5, return_state=True)
    assert calls == [4, 5]
    assert (first.name, second.name, third.name) == ("Completed", "Cached", "Completed")
    assert second.result() == 16
    rows = record("SELECT state_name FROM task_runs ORDER BY created")
    assert rows == [("Completed",), ("Cached",), ("Completed",)]
    states = record(
        "SELECT type, name FROM run_states WHERE run_id=? ORDER BY id",
        second.state_details.task_run_id,
    )
    assert states == [("PENDING", "Pending"), ("COMPLETED", "Cached")]


def test_cache_works_across_processes(run_python, tmp_path):
    marker = tmp_path / "bodies.txt"
    code = f"""
from cadenza import flow, task
from cadenza.cache_policies import INPUTS, TASK_SOURCE

@task(cache_policy=INPUTS + TASK_SOURCE)
def expensive(x):
    with open({str(marker)!r}, "a") as f:
        f.write("ran\\n")
    return x * 10

@flow
def f():
    return expensive(7)

print(f())
"""
    for _ in range(3):
        done = run_python(code)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "70"
    assert marker.read_text().count("ran") == 1


def test_policies_compose_in_any_order():
    assert INPUTS + TASK_SOURCE == TASK_SOURCE + INPUTS
    assert (INPUTS + TASK_SOURCE) + FLOW_PARAMETERS == INPUTS + (FLOW_PARAMETERS + TASK_SOURCE)
    assert NO_CACHE + INPUTS is INPUTS  # as in Prefect 3: adding "no cache" adds nothing


def test_expired_entries_are_not_served():
    square, calls = _counting_task(cache_policy=INPUTS, cache_expiration=timedelta(seconds=0.2))
    square(2)
    square(2)
    time.sleep(0.3)
    square(2)
    assert calls == [2, 2]


def test_refresh_cache_runs_and_replaces_the_entry():
    square, calls = _counting_task(cache_policy=INPUTS)
    square(6)
    refreshed = square.with_options(refresh_cache=True)
    refreshed(6)
    square(6)
    assert calls == [6, 6]


def test_run_id_policy_caches_within_one_flow_run():
    square, calls = _counting_task(cache_policy=INPUTS + RUN_ID)

    @flow
    def f():
        return square(3) + square(3)

    assert f() == 18
    assert f() == 18
    assert calls == [3, 3]  # once per flow run


def test_inputs_can_exclude_arguments():
    calls = []

    @task(cache_policy=Inputs(exclude=["verbose"]))
    def double(x, verbose=False):
        calls.append(x)
        return 2 * x

    double(1, verbose=True)
    double(1, verbose=False)
    assert calls == [1]


def test_cache_key_fn_task_input_hash():
    square, calls = _counting_task(cache_key_fn=task_input_hash)
    square(9)
    square(9)
    assert calls == [9]


def test_unhashable_inputs_mean_no_caching_with_one_warning(record):
    calls = []

    @task(cache_policy=INPUTS)
    def use_lock(lock):
        calls.append(1)
        return "ok"

    lock = threading.Lock()
    assert use_lock(lock) == "ok"
    assert use_lock(lock) == "ok"
    assert len(calls) == 2
    warnings = record("SELECT message FROM logs WHERE level = 30")
    assert len(warnings) == 1 and "not cached" in warnings[0][0]


def test_a_deleted_result_is_a_miss_not_a_failure(cadenza_home):
    square, calls = _counting_task(cache_policy=INPUTS)
    square(8)
    for path in (cadenza_home / "storage").rglob("*"):
        if path.is_file():
            path.unlink()
    assert square(8) == 64
    assert calls == [8, 8]


@task(cache_policy=INPUTS)
def cube(x):
    import os

    return x**3, os.getpid()


def test_process_pool_serves_hits_before_launch():
    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def f():
        first = cube.submit(3).result()
        second = cube.submit(3)
        return first, second.result(), second.state.name

    first, second, name = f()
    assert first == second and name == "Cached"
