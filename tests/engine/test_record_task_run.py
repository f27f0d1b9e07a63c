"""`cadenza.task_runs.record_task_run`: task runs of work done outside a Python call (a dbt node,
a build step), recorded with the caller's states, times and log lines like any task run."""

from __future__ import annotations

import time

import pytest

from cadenza import flow, tags
from cadenza.exceptions import InvalidTransition
from cadenza.states import StateType
from cadenza.task_runs import record_task_run


def test_a_recorded_run_is_a_task_run_of_the_flow_run_with_its_times_and_logs(record) -> None:
    started, ended = time.time() - 30.0, time.time() - 20.0

    @flow
    def build() -> str:
        run = record_task_run("model.shop.orders", tags=["dbt"], at=started)
        run.start(at=started)
        run.logger.info("created view main.orders")
        state = run.finish(StateType.COMPLETED, "OK", at=ended)
        return state.name

    assert build() == "Completed"
    ((flow_run_id,),) = record("SELECT id FROM flow_runs")
    rows = record(
        "SELECT flow_run_id, name, task_name, tags, state_type, state_message, created,"
        " start_time, end_time, run_count FROM task_runs"
    )
    assert rows == [
        (flow_run_id, "model.shop.orders", "model.shop.orders", '["dbt"]', "COMPLETED", "OK",
         started, started, ended, 1),
    ]  # fmt: skip
    states = record("SELECT type, timestamp FROM run_states WHERE run_id != ? ORDER BY id",
                    flow_run_id)  # fmt: skip
    assert states == [("PENDING", started), ("RUNNING", started), ("COMPLETED", ended)]
    ((task_run_id, message),) = record(
        "SELECT task_run_id, message FROM logs WHERE task_run_id IS NOT NULL"
    )
    assert message == "created view main.orders"
    assert task_run_id == record("SELECT id FROM task_runs")[0][0]


def test_a_failed_run_carries_its_error_and_fails_nothing_else(record) -> None:
    @flow
    def build() -> object:
        run = record_task_run("test.shop.positive_amounts")
        run.start()
        failed = run.finish(StateType.FAILED, "Got 1 result", error=ValueError("1 negative"))
        with pytest.raises(ValueError, match="1 negative"):
            failed.result()
        return "the flow goes on"

    assert build() == "the flow goes on"
    assert record("SELECT state_type, state_message FROM task_runs") == [("FAILED", "Got 1 result")]
    assert record("SELECT state_type FROM flow_runs") == [("COMPLETED",)]


def test_a_skipped_run_ends_without_having_started(record) -> None:
    @flow
    def build() -> None:
        run = record_task_run("model.shop.after_broken")
        run.finish("CANCELLED", "an upstream node failed", name="Skipped")

    build()
    rows = record("SELECT state_name, start_time, end_time IS NOT NULL, run_count FROM task_runs")
    assert rows == [("Skipped", None, 1, 0)]


def test_a_time_before_the_previous_state_is_moved_up_to_it(record) -> None:
    @flow
    def build() -> None:
        run = record_task_run("step")
        run.start()
        run.finish(StateType.COMPLETED, at=time.time() - 3600)

    build()
    ((start, end),) = record("SELECT start_time, end_time FROM task_runs")
    assert end == start


def test_enclosing_tags_are_added_and_outside_a_flow_it_stands_alone(record) -> None:
    with tags("nightly"):
        run = record_task_run("outside", tags=["dbt"])
    run.finish(StateType.COMPLETED)
    assert record("SELECT flow_run_id, tags, state_type FROM task_runs") == [
        (None, '["dbt", "nightly"]', "COMPLETED")
    ]


def test_finish_needs_a_final_state_and_a_final_state_stays(record) -> None:
    run = record_task_run("once")
    with pytest.raises(ValueError, match="final state type, not RUNNING"):
        run.finish(StateType.RUNNING)
    run.finish(StateType.COMPLETED)
    with pytest.raises(InvalidTransition, match="'once' could not move to Running"):
        run.start()
    assert run.state is not None and run.state.is_completed()
