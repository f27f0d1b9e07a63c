"""`cadenza.runtime` tells code which run it is in, as `prefect.runtime` does."""

from __future__ import annotations

import pytest

from cadenza import flow, task
from cadenza.runtime import flow_run, task_run


def test_runtime_inside_a_flow_and_a_task():
    @task(tags=["t"])
    def inside():
        return task_run.name, task_run.task_name, task_run.run_count, task_run.tags, flow_run.name

    @flow(flow_run_name="nightly-{day}")
    def f(day: str):
        return flow_run.name, flow_run.flow_name, flow_run.parameters, inside()

    name, flow_name, parameters, (t_name, t_task, t_count, t_tags, seen_flow) = f("mon")
    assert (name, flow_name, parameters) == ("nightly-mon", "f", {"day": "mon"})
    assert (t_name, t_task, t_count, t_tags, seen_flow) == ("inside-0", "inside", 1, ["t"], name)


def test_runtime_outside_any_run():
    assert flow_run.id is None and flow_run.parameters == {} and task_run.name is None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = flow_run.nope
