"""Prefect 3 logging idioms: run loggers through standard `logging` (caplog, root handlers),
the console stream, `log_prints`, extra loggers, loggers for state hooks."""

from __future__ import annotations

import contextlib
import io
import logging

import pytest

from cadenza import flow, task
from cadenza.context import FlowRunContext, TaskRunContext
from cadenza.exceptions import MissingContextError
from cadenza.logging import get_run_logger
from cadenza.logging.loggers import (
    disable_run_logger,
    flow_run_logger,
    get_logger,
    task_run_logger,
)

FLOW_FIELDS = ("flow_run_id", "flow_run_name", "flow_name")
TASK_FIELDS = (*FLOW_FIELDS, "task_run_id", "task_run_name", "task_name")


def _logged(record, where: str, *params) -> list[tuple]:
    return record(
        f"SELECT flow_run_id, task_run_id, level, logger, message FROM logs WHERE {where} "
        "ORDER BY id",
        *params,
    )


# Prefect 3.9.1: records of get_run_logger() propagate to the root logger (its console handler
# sits there), so pytest's caplog sees them, named prefect.flow_runs / prefect.task_runs, with
# extra fields flow_run_id, flow_run_name, flow_name (+ task_run_id, task_run_name, task_name
# for a task run); ids are strings.
def test_caplog_sees_run_logger_records_with_prefect_extra_fields(caplog):
    ids = {}

    @task(task_run_name="say-hi")
    def say_hi():
        ids["task"] = TaskRunContext.get().task_run.id
        get_run_logger().info("hello from the task")

    @flow(name="greeter", flow_run_name="greeting-run")
    def greeter():
        ids["flow"] = FlowRunContext.get().flow_run.id
        get_run_logger().warning("hello from the flow")
        say_hi()

    with caplog.at_level(logging.INFO):
        greeter()

    by_message = {r.getMessage(): r for r in caplog.records}
    flow_record = by_message["hello from the flow"]
    assert flow_record.name == "cadenza.flow_runs"
    assert flow_record.levelno == logging.WARNING
    assert {k: getattr(flow_record, k) for k in FLOW_FIELDS} == {
        "flow_run_id": ids["flow"],
        "flow_run_name": "greeting-run",
        "flow_name": "greeter",
    }
    task_record = by_message["hello from the task"]
    assert task_record.name == "cadenza.task_runs"
    assert {k: getattr(task_record, k) for k in TASK_FIELDS} == {
        "flow_run_id": ids["flow"],
        "flow_run_name": "greeting-run",
        "flow_name": "greeter",
        "task_run_id": ids["task"],
        "task_run_name": "say-hi",
        "task_name": "say_hi",
    }
    assert "hello from the flow" in caplog.text
    assert logging.getLogger("cadenza.flow_runs").parent is logging.getLogger("cadenza")
    assert logging.getLogger("cadenza.task_runs").parent is logging.getLogger("cadenza")


# Prefect 3.9.1: a handler the application adds to the root logger receives the run records
# (and the run's own handler still stores them).
def test_a_root_handler_receives_run_records(record):
    received: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, rec: logging.LogRecord) -> None:
            received.append(rec)

    handler = Collect()
    logging.getLogger().addHandler(handler)
    try:

        @flow
        def reports():
            get_run_logger(component="db").info("rows loaded: %d", 3)
            return FlowRunContext.get().flow_run.id

        flow_run_id = reports()
    finally:
        logging.getLogger().removeHandler(handler)
    mine = [r for r in received if r.getMessage() == "rows loaded: 3"]
    assert len(mine) == 1
    assert mine[0].flow_run_id == flow_run_id
    assert mine[0].component == "db"  # get_run_logger(**kwargs) adds them to the record
    assert _logged(record, "message = ?", "rows loaded: 3") == [
        (flow_run_id, None, logging.INFO, "cadenza.flow_runs", "rows loaded: 3")
    ]


# Prefect 3.9.1: the console handler writes to sys.stderr (logging.yml: stream ext://sys.stderr),
# nothing to stdout. (Prefect binds the stream when logging is set up; cadenza looks it up at
# each write, so capsys and redirect_stderr see the lines too.)
def test_console_lines_go_to_stderr_as_it_is_at_write_time(console, capsys):
    @flow(flow_run_name="to-stderr")
    def speaks():
        get_run_logger().info("on the console")

    buffer = io.StringIO()
    with contextlib.redirect_stderr(buffer), contextlib.redirect_stdout(io.StringIO()) as out:
        speaks()
    assert "| INFO    | Flow run 'to-stderr' - on the console" in buffer.getvalue()
    assert out.getvalue() == ""

    speaks()
    captured = capsys.readouterr()
    assert "Flow run 'to-stderr' - on the console" in captured.err
    assert "on the console" not in captured.out


# Prefect 3.9.1: with log_prints=True, print() inside the flow and its tasks becomes an INFO
# record of the run logger (message without the trailing newline), shown by the console on
# stderr and stored with the run; nothing is written to stdout.
def test_log_prints_reach_the_console_caplog_and_the_record(console, capsys, caplog, record):
    @task(task_run_name="printing-task")
    def prints_in_task():
        print("from the task", 1)

    @flow(log_prints=True, flow_run_name="printing-run")
    def prints():
        print("from the flow")
        prints_in_task()
        return FlowRunContext.get().flow_run.id

    with caplog.at_level(logging.INFO):
        flow_run_id = prints()
    captured = capsys.readouterr()
    assert "from the flow" not in captured.out
    assert "Flow run 'printing-run' - from the flow" in captured.err
    assert "Task run 'printing-task' - from the task 1" in captured.err
    printed = [r for r in caplog.records if r.getMessage().startswith("from the")]
    assert [(r.name, r.levelno, r.getMessage()) for r in printed] == [
        ("cadenza.flow_runs", logging.INFO, "from the flow"),
        ("cadenza.task_runs", logging.INFO, "from the task 1"),
    ]
    stored = _logged(record, "flow_run_id = ? AND message LIKE 'from the%'", flow_run_id)
    assert [row[4] for row in stored] == ["from the flow", "from the task 1"]


@pytest.fixture
def extra_logger(monkeypatch):
    """``CADENZA_LOGGING_EXTRA_LOGGERS=mylib`` for one test; the logger is detached after."""
    import cadenza.logging.loggers as loggers
    from cadenza.settings import spec

    monkeypatch.setenv("CADENZA_LOGGING_EXTRA_LOGGERS", "mylib, other.lib")
    spec.reset_cache()
    yield logging.getLogger("mylib")
    for name in ("mylib", "other.lib"):
        lib = logging.getLogger(name)
        for handler in list(lib.handlers):
            lib.removeHandler(handler)
        for f in list(lib.filters):
            lib.removeFilter(f)
    loggers._extra_loggers = None


# Prefect 3.9.1: with PREFECT_LOGGING_EXTRA_LOGGERS=mylib, a line of logging.getLogger("mylib")
# logged inside a task run is stored with that task run (and its flow run), inside the flow
# body with the flow run; the level is the library's own (root's WARNING by default, so its
# INFO lines are not stored); lines outside any run are not stored.
def test_extra_loggers_are_recorded_with_the_run(extra_logger, record):
    ids = {}

    @task
    def calls_library():
        ids["task"] = TaskRunContext.get().task_run.id
        extra_logger.warning("library warns in the task")
        extra_logger.info("library info, below its level")

    @flow
    def uses_library():
        ids["flow"] = FlowRunContext.get().flow_run.id
        calls_library()
        extra_logger.warning("library warns in the flow")

    uses_library()
    extra_logger.warning("library warns outside any run")
    rows = _logged(record, "logger = ?", "mylib")
    assert rows == [
        (ids["flow"], ids["task"], logging.WARNING, "mylib", "library warns in the task"),
        (ids["flow"], None, logging.WARNING, "mylib", "library warns in the flow"),
    ]


# Prefect 3.9.1: a library logger named in the setting whose level is set to INFO has its INFO
# lines stored with the run too.
def test_an_extra_logger_at_info_records_info_lines(extra_logger, record):
    extra_logger.setLevel(logging.INFO)
    try:

        @flow
        def chatty_library():
            extra_logger.info("library info")
            return FlowRunContext.get().flow_run.id

        flow_run_id = chatty_library()
    finally:
        extra_logger.setLevel(logging.NOTSET)
    assert _logged(record, "logger = 'mylib'") == [
        (flow_run_id, None, logging.INFO, "mylib", "library info")
    ]


# Prefect 3.9.1: state hooks get (flow, flow_run, state) / (task, task_run, state) and log with
# prefect.logging.loggers.flow_run_logger(flow_run, flow) / task_run_logger(task_run, task);
# those lines are stored with the run and carry the same extra fields as get_run_logger's.
def test_hook_loggers_record_with_the_run(record, caplog):
    ids = {}

    def flow_done(flow, flow_run, state):
        flow_run_logger(flow_run, flow).info("flow hook saw %s", state.name)

    def task_done(task, task_run, state):
        task_run_logger(task_run, task).info("task hook saw %s", state.name)

    @task(on_completion=[task_done], task_run_name="hooked-task")
    def hooked_task():
        ids["task"] = TaskRunContext.get().task_run.id

    @flow(on_completion=[flow_done], flow_run_name="hooked-run")
    def hooked_flow():
        ids["flow"] = FlowRunContext.get().flow_run.id
        hooked_task()

    with caplog.at_level(logging.INFO):
        hooked_flow()
    assert _logged(record, "message LIKE '%hook saw%'") == [
        (ids["flow"], ids["task"], logging.INFO, "cadenza.task_runs", "task hook saw Completed"),
        (ids["flow"], None, logging.INFO, "cadenza.flow_runs", "flow hook saw Completed"),
    ]
    by_message = {r.getMessage(): r for r in caplog.records}
    task_record = by_message["task hook saw Completed"]
    assert (task_record.task_name, task_record.task_run_name) == ("hooked_task", "hooked-task")
    assert (task_record.flow_name, task_record.flow_run_name) == ("hooked-flow", "hooked-run")
    flow_record = by_message["flow hook saw Completed"]
    assert (flow_record.flow_name, flow_record.flow_run_name) == ("hooked-flow", "hooked-run")


# Prefect 3.9.1: flow_run_logger() with neither a flow run nor an id raises ValueError; with a
# flow run but no flow, flow_name is "<unknown>" (cadenza knows it from the run record).
def test_flow_run_logger_needs_a_run():
    with pytest.raises(ValueError, match="flow_run"):
        flow_run_logger()


# Prefect 3.9.1: get_run_logger() outside a run raises prefect.exceptions.MissingContextError
# (a RuntimeError): "There is no active flow or task run context."
def test_get_run_logger_outside_a_run_raises_missing_context_error():
    with pytest.raises(MissingContextError, match="no active flow or task run context"):
        get_run_logger()
    assert issubclass(MissingContextError, RuntimeError)


# Prefect 3.9.1: inside `with disable_run_logger():` get_run_logger() outside a run returns a
# disabled logger instead of raising, so a task's .fn can be called in a unit test.
def test_disable_run_logger_lets_task_fn_run_outside_a_run(caplog):
    @task
    def logs_and_adds(x: int) -> int:
        get_run_logger().info("adding one")
        return x + 1

    with caplog.at_level(logging.INFO), disable_run_logger():
        assert logs_and_adds.fn(1) == 2
    assert "adding one" not in caplog.text
    with pytest.raises(MissingContextError):
        logs_and_adds.fn(1)


# Prefect 3.9.1: get_logger("name") is "prefect.name", get_logger() is "prefect", and a full
# name is kept; get_run_logger is importable from prefect, prefect.logging and
# prefect.logging.loggers.
def test_get_logger_names_and_import_paths():
    import cadenza
    import cadenza.logging
    import cadenza.logging.loggers

    assert get_logger("etl").name == "cadenza.etl"
    assert get_logger().name == "cadenza"
    assert get_logger("cadenza.etl").name == "cadenza.etl"
    assert callable(cadenza.get_run_logger)
    assert callable(cadenza.logging.get_run_logger)
    assert callable(cadenza.logging.loggers.get_run_logger)
    assert callable(cadenza.logging.disable_run_logger)


# Prefect 3.9.1: after logging.basicConfig(level=INFO, format="USER %(name)s %(message)s") and
# then a flow run, the run lines are printed once, by the application's handler:
#   USER prefect.flow_runs Beginning flow run 'user-run' for flow 'f'
#   USER prefect.flow_runs hello
#   USER prefect.flow_runs Finished in state Completed()
def test_an_application_s_root_handler_replaces_the_console_echo(console, capsys):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("USER %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:

        @flow(name="f", flow_run_name="user-run")
        def user_configured():
            get_run_logger().info("hello")

        user_configured()
    finally:
        root.removeHandler(handler)
    assert stream.getvalue().splitlines() == [
        "USER cadenza.flow_runs Beginning flow run 'user-run' for flow 'f'",
        "USER cadenza.flow_runs hello",
        "USER cadenza.flow_runs Finished in state Completed()",
    ]
    assert "hello" not in capsys.readouterr().err  # no second copy from cadenza's console
