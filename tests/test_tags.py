"""`with tags(...)` adds tags to the runs created inside it, as in Prefect."""

from __future__ import annotations

import json

from cadenza import flow, tags, task


def test_tags_context_applies_to_flow_and_task_runs(record):
    @task(tags=["own"])
    def step():
        return 1

    @flow
    def f():
        with tags("inner"):
            step()
        step()

    with tags("outer", "team-a") as current:
        assert current == {"outer", "team-a"}
        f()
    f()
    flows = [json.loads(t) for (t,) in record("SELECT tags FROM flow_runs ORDER BY created")]
    tasks = [json.loads(t) for (t,) in record("SELECT tags FROM task_runs ORDER BY created")]
    assert flows == [["outer", "team-a"], []]
    assert tasks == [
        ["own", "outer", "team-a", "inner"],
        ["own", "outer", "team-a"],
        ["own", "inner"],
        ["own"],
    ]
