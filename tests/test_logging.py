"""Run logging: run loggers record lines with their run, print capture, the console echo and
tracebacks."""

from __future__ import annotations

import logging
import re
import sys

import pytest

from cadenza import flow, get_run_logger, task
from cadenza.context import FlowRunContext, TaskRunContext
from cadenza.exceptions import MissingContextError

INFO, WARNING, ERROR = logging.INFO, logging.WARNING, logging.ERROR


def _logs(record, where: str = "1=1", *params):
    return record(
        f"SELECT flow_run_id, task_run_id, level, logger, message FROM logs WHERE {where} "
        "ORDER BY id",
        *params,
    )


def _messages(record, **by):
    where = " AND ".join(f"{k} = ?" for k in by) or "1=1"
    return [row[4] for row in _logs(record, where, *by.values())]


# -- run loggers ----------------------------------------------------------------------------------
def test_flow_logger_records_lines_with_the_flow_run(record):
    ids = {}

    @flow
    def logs_in_flow():
        ids["flow"] = FlowRunContext.get().flow_run.id
        logger = get_run_logger()
        logger.info("hello from the flow")
        logger.warning("careful: %s", "value")

    logs_in_flow()
    rows = _logs(record, "message IN (?, ?)", "hello from the flow", "careful: value")
    assert rows == [
        (ids["flow"], None, INFO, "cadenza.flow_runs", "hello from the flow"),
        (ids["flow"], None, WARNING, "cadenza.flow_runs", "careful: value"),
    ]


def test_task_logger_records_lines_with_the_task_run_and_its_flow_run(record):
    ids = {}

    @task
    def logs_in_task():
        ids["task"] = TaskRunContext.get().task_run.id
        get_run_logger().error("task trouble")

    @flow
    def parent():
        ids["flow"] = FlowRunContext.get().flow_run.id
        logs_in_task()

    parent()
    rows = _logs(record, "message = ?", "task trouble")
    assert rows == [(ids["flow"], ids["task"], ERROR, "cadenza.task_runs", "task trouble")]
    task_row = record("SELECT flow_run_id FROM task_runs WHERE id = ?", ids["task"])
    assert task_row == [(ids["flow"],)]


def test_task_logger_outside_a_flow_records_with_the_task_run(record):
    ids = {}

    @task
    def lonely():
        ids["task"] = TaskRunContext.get().task_run.id
        get_run_logger().info("alone")

    lonely()
    assert _logs(record, "message = ?", "alone") == [
        (None, ids["task"], INFO, "cadenza.task_runs", "alone")
    ]


def test_engine_logs_the_run_beginning_and_end(record):
    @flow(flow_run_name="visible-run")
    def plain():
        return 1

    state = plain(return_state=True)
    messages = _messages(record, flow_run_id=state.state_details.flow_run_id)
    assert any("Beginning" in m and "visible-run" in m and "plain" in m for m in messages)
    assert any("Finished in state" in m and "Completed" in m for m in messages)


def test_extra_keyword_arguments_do_not_lose_the_run(record):
    @flow
    def with_extra():
        get_run_logger(component="db").info("tagged")
        return FlowRunContext.get().flow_run.id

    flow_run_id = with_extra()
    assert _messages(record, flow_run_id=flow_run_id)[1:2] == ["tagged"]


def test_get_run_logger_outside_a_run_raises():
    with pytest.raises(MissingContextError):
        get_run_logger()


def test_lines_without_a_run_are_not_recorded(record):
    from cadenza.logging import get_logger

    get_logger("cadenza.elsewhere").warning("not a run line")
    assert _logs(record, "message = ?", "not a run line") == []


def test_logger_exception_stores_the_traceback(record):
    @flow
    def handles_error():
        try:
            {}["missing-key"]
        except KeyError:
            get_run_logger().exception("lookup failed")
        return FlowRunContext.get().flow_run.id

    flow_run_id = handles_error()
    rows = _logs(record, "flow_run_id = ? AND message LIKE 'lookup failed%'", flow_run_id)
    assert len(rows) == 1
    level, message = rows[0][2], rows[0][4]
    assert level == ERROR
    assert message.startswith("lookup failed\n")
    assert "Traceback (most recent call last)" in message
    assert "KeyError: 'missing-key'" in message
    assert "handles_error" in message


def test_failing_task_logs_its_traceback(record):
    @task
    def explodes():
        raise ValueError("kaboom")

    @flow
    def parent():
        explodes(return_state=True)
        return FlowRunContext.get().flow_run.id

    flow_run_id = parent()
    rows = _logs(
        record, "flow_run_id = ? AND task_run_id IS NOT NULL AND level = ?", flow_run_id, ERROR
    )
    assert len(rows) == 1
    assert "Traceback (most recent call last)" in rows[0][4]
    assert "ValueError: kaboom" in rows[0][4]


# -- log_prints -----------------------------------------------------------------------------------
def test_log_prints_captures_flow_and_task_prints(record, capsys):
    ids = {}

    @task
    def inherits():
        ids["inherits"] = TaskRunContext.get().task_run.id
        print("task says", 42)

    @task(log_prints=False)
    def opts_out():
        print("quiet task")

    @flow(log_prints=True)
    def chatty():
        ids["flow"] = FlowRunContext.get().flow_run.id
        print("flow says hi")
        print("explicit stdout", file=sys.stdout)
        print("to stderr", file=sys.stderr)
        inherits()
        opts_out()

    chatty()
    out, err = capsys.readouterr()

    flow_lines = _logs(
        record, "flow_run_id = ? AND task_run_id IS NULL AND level = ?", ids["flow"], INFO
    )
    flow_messages = [row[4] for row in flow_lines]
    assert "flow says hi" in flow_messages
    assert "explicit stdout" in flow_messages
    assert _logs(record, "task_run_id = ? AND message = ?", ids["inherits"], "task says 42") == [
        (ids["flow"], ids["inherits"], INFO, "cadenza.task_runs", "task says 42")
    ]
    all_messages = _messages(record)
    assert "quiet task" not in all_messages
    assert "to stderr" not in all_messages

    assert "flow says hi" not in out
    assert "task says 42" not in out
    assert "quiet task" in out
    assert "to stderr" in err


def test_without_log_prints_prints_are_not_captured(record, capsys):
    @flow
    def silent_flow():
        print("plain print")

    silent_flow()
    assert "plain print" in capsys.readouterr().out
    assert "plain print" not in _messages(record)


def test_task_log_prints_true_inside_a_flow_without_it(record, capsys):
    ids = {}

    @task(log_prints=True)
    def loud():
        ids["task"] = TaskRunContext.get().task_run.id
        print("loud task")

    @flow
    def quiet_flow():
        print("quiet flow")
        loud()

    quiet_flow()
    out = capsys.readouterr().out
    assert "quiet flow" in out
    assert "loud task" not in out
    assert _messages(record, task_run_id=ids["task"]) == ["loud task"]


def test_print_outside_any_run_is_untouched(capsys):
    @flow(log_prints=True)
    def installs_capture():
        print("inside")

    installs_capture()
    capsys.readouterr()
    print("outside", "run", sep="-", end="!\n")
    assert capsys.readouterr().out == "outside-run!\n"


# -- console echo ---------------------------------------------------------------------------------
LINE = re.compile(r"^\d{2}:\d{2}:\d{2}\.\d{3} \| (?P<level>[A-Z ]{7}) \| (?P<rest>.*)$")


def test_console_echo_format(console, capsys):
    @task(task_run_name="echo-task")
    def echoing_task():
        get_run_logger().warning("from the task")

    @flow(flow_run_name="echo-run")
    def echoing():
        get_run_logger().info("hello console")
        echoing_task()

    echoing()
    err_lines = capsys.readouterr().err.splitlines()
    matches = [LINE.match(line) for line in err_lines]
    parsed = [(m["level"], m["rest"]) for m in matches if m]
    assert ("INFO   ", "Flow run 'echo-run' - hello console") in parsed
    assert ("WARNING", "Task run 'echo-task' - from the task") in parsed
    hello = next(line for line in err_lines if line.endswith("hello console"))
    assert re.fullmatch(
        r"\d{2}:\d{2}:\d{2}\.\d{3} \| INFO    \| Flow run 'echo-run' - hello console", hello
    )


def test_console_echo_off_prints_nothing(capsys):
    @flow
    def quiet():
        get_run_logger().info("should not be echoed")

    quiet()
    assert "should not be echoed" not in capsys.readouterr().err
