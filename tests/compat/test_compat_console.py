"""The engine's console lines, worded as Prefect 3 words them (users' tests assert on them)."""

from __future__ import annotations

import logging
import re
import time

import pytest

from cadenza import flow, task
from cadenza.cache_policies import INPUTS
from cadenza.context import FlowRunContext
from cadenza.logging import disable_run_logger

LINE = re.compile(
    r"^\d{2}:\d{2}:\d{2}\.\d{3} \| (?P<level>[A-Z]+) *\| (?P<label>(?:Flow|Task) run '[^']*') - "
    r"(?P<message>.*)$"
)


def _lines(err: str) -> list[tuple[str, str, str]]:
    """(level, label, message) of each console line of a run."""
    return [(m["level"], m["label"], m["message"]) for m in map(LINE.match, err.splitlines()) if m]


@task(task_run_name="add-one")
def add_one(x: int) -> int:
    return x + 1


@flow(flow_run_name="child-run")
def child(x: int) -> int:
    return add_one(x)


@flow(flow_run_name="parent-run")
def parent(x: int = 1) -> int:
    return child(x)


EXPECTED = [
    ("INFO", "Flow run 'parent-run'", "Beginning flow run 'parent-run' for flow 'parent'"),
    ("INFO", "Flow run 'child-run'", "Beginning subflow run 'child-run' for flow 'child'"),
    ("INFO", "Task run 'add-one'", "Finished in state Completed()"),
    ("INFO", "Flow run 'child-run'", "Finished in state Completed()"),
    ("INFO", "Flow run 'parent-run'", "Finished in state Completed()"),
]


# Prefect 3.9.1, a flow with a subflow calling a task, on stderr at INFO:
#   HH:MM:SS.mmm | INFO    | Flow run 'parent-run' - Beginning flow run 'parent-run' for flow ...
#   ... | INFO    | Flow run 'child-run' - Beginning subflow run 'child-run' for flow 'child'
#   ... | INFO    | Task run 'add-one' - Finished in state Completed()
#   ... | INFO    | Flow run 'child-run' - Finished in state Completed()
#   ... | INFO    | Flow run 'parent-run' - Finished in state Completed()
# (Prefect also prints "View at <url>" when it has a UI URL; cadenza has none to show.)
def test_console_lines_of_a_flow_with_a_subflow_and_a_task(console, capsys):
    assert parent() == 2
    assert _lines(capsys.readouterr().err) == EXPECTED


# Prefect 3.9.1: the same lines as records: caplog.messages holds them verbatim.
def test_caplog_holds_the_same_lines(caplog):
    with caplog.at_level(logging.INFO):
        parent()
    assert [m for m in caplog.messages if m.startswith(("Beginning", "Finished"))] == [
        message for _, _, message in EXPECTED
    ]


# Prefect 3.9.1: same lines when nothing but the console listens (a plain script: no root
# handler). Cadenza writes task lines in batches then; they keep their order with the others.
def test_console_lines_without_any_other_handler(console, capsys, monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as in a script, not under pytest

    @flow(flow_run_name="many-tasks")
    def many() -> None:
        for i in range(3):
            add_one(i)
        add_one.submit(10).result()

    many()
    assert _lines(capsys.readouterr().err) == [
        ("INFO", "Flow run 'many-tasks'", "Beginning flow run 'many-tasks' for flow 'many'"),
        *[("INFO", "Task run 'add-one'", "Finished in state Completed()")] * 4,
        ("INFO", "Flow run 'many-tasks'", "Finished in state Completed()"),
    ]
    parent()
    assert _lines(capsys.readouterr().err) == EXPECTED


# Prefect 3.9.1: a task's end line is on the console right after the task, before the flow goes
# on (cadenza's batch is written within 50 ms).
def test_a_task_end_line_shows_while_the_flow_still_runs(console, capsys, monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    seen = {}

    @flow(flow_run_name="slow-flow")
    def slow() -> None:
        add_one(1)
        time.sleep(0.5)
        seen["err"] = capsys.readouterr().err

    slow()
    assert ("INFO", "Task run 'add-one'", "Finished in state Completed()") in _lines(seen["err"])


# Prefect 3.9.1: inside `with disable_run_logger():` the task-run logger is disabled, so a task
# run's end line is not shown.
def test_disable_run_logger_hides_task_end_lines(console, capsys, monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "handlers", [])

    @flow(flow_run_name="quiet-tasks")
    def quiet() -> None:
        with disable_run_logger():
            add_one(1)

    quiet()
    labels = [label for _, label, _ in _lines(capsys.readouterr().err)]
    assert labels == ["Flow run 'quiet-tasks'", "Flow run 'quiet-tasks'"]


# Prefect 3.9.1: a task called outside any flow prints its end line too.
def test_a_task_outside_a_flow_prints_its_end(console, capsys, monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    assert add_one(1) == 2
    assert _lines(capsys.readouterr().err) == [
        ("INFO", "Task run 'add-one'", "Finished in state Completed()")
    ]


# Prefect 3.9.1, a task with retries=1 that raises ValueError("boom") in a flow:
#   INFO  | Task run 'boom' - Task run failed with exception: ValueError('boom') - Retry 1/1 will
#           start immediately
#   ERROR | Task run 'boom' - Task run failed with exception: ValueError('boom') - Retries are
#           exhausted  (and the traceback)
#   ERROR | Task run 'boom' - Finished in state Failed('Task run encountered an exception
#           ValueError: boom')
#   ERROR | Flow run 'failing-run' - Encountered exception during execution: ValueError('boom')
#   INFO  | Flow run 'failing-run' - Finished in state Failed('Flow run encountered an ...')
def test_failure_and_retry_lines(console, capsys):
    @task(task_run_name="boom", retries=1)
    def explodes() -> None:
        raise ValueError("boom")

    @flow(flow_run_name="failing-run")
    def failing() -> None:
        explodes()

    with pytest.raises(ValueError):
        failing()
    lines = _lines(capsys.readouterr().err)
    task_lines = [(level, message) for level, label, message in lines if label == "Task run 'boom'"]
    assert task_lines == [
        (
            "INFO",
            "Task run failed with exception: ValueError('boom') - Retry 1/1 will start immediately",
        ),
        ("ERROR", "Task run failed with exception: ValueError('boom') - Retries are exhausted"),
        ("ERROR", "Finished in state Failed('Task run encountered an exception ValueError: boom')"),
    ]
    flow_lines = [(level, message) for level, label, message in lines if label.startswith("Flow")]
    assert flow_lines[1] == ("ERROR", "Encountered exception during execution: ValueError('boom')")
    level, message = flow_lines[2]
    assert level == "INFO"
    assert message.startswith("Finished in state Failed('Flow run encountered an exception")


# Prefect 3.9.1: a retry with retry_delay_seconds=N says "Retry 1/2 will start N second(s) from
# now"; without retries the failure line has no "Retries are exhausted".
def test_retry_delay_and_no_retries_lines(console, capsys, caplog):
    @task(task_run_name="slow-retry", retries=1, retry_delay_seconds=0.01)
    def flaky() -> None:
        raise KeyError("k")

    @task(task_run_name="no-retry")
    def once() -> None:
        raise KeyError("k")

    @flow
    def both() -> None:
        flaky(return_state=True)
        once(return_state=True)

    with caplog.at_level(logging.INFO):
        both()
    assert (
        "Task run failed with exception: KeyError('k') - Retry 1/1 will start 0.01 second(s) "
        "from now"
    ) in caplog.messages
    assert "Task run failed with exception: KeyError('k')" in caplog.messages
    failure = next(r for r in caplog.records if r.getMessage().endswith("Retries are exhausted"))
    assert failure.levelno == logging.ERROR and failure.exc_info is not None


# Prefect 3.9.1: a cache hit ends "Finished in state Cached(type=COMPLETED)".
def test_cache_hit_line(console, capsys):
    @task(cache_policy=INPUTS, task_run_name="cached-add")
    def cached_add(x: int) -> int:
        return x + 1

    @flow(flow_run_name="cache-run")
    def caches() -> None:
        cached_add(41)
        cached_add(41)

    caches()
    task_lines = [
        m for level, label, m in _lines(capsys.readouterr().err) if label.startswith("Task")
    ]
    assert task_lines == [
        "Finished in state Completed()",
        "Finished in state Cached(type=COMPLETED)",
    ]


# Prefect 3.9.1 stores the run lines with the run. Cadenza stores the flow run's beginning and
# end lines as before; a task run's end line is shown, not stored: the record holds its state.
def test_which_lines_the_record_keeps(record):
    @flow(flow_run_name="recorded-run")
    def recorded() -> str:
        add_one(1)
        return FlowRunContext.get().flow_run.id

    flow_run_id = recorded()
    rows = record(
        "SELECT task_run_id, message FROM logs WHERE flow_run_id = ? ORDER BY id", flow_run_id
    )
    assert rows == [
        (None, "Beginning flow run 'recorded-run' for flow 'recorded'"),
        (None, "Finished in state Completed()"),
    ]
