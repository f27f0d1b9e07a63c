"""The lines the engine logs about runs, worded as Prefect 3 words them (users' tests assert on
them): ``Beginning flow run 'x' for flow 'y'``, ``Beginning subflow run ...``,
``Finished in state Completed()``.

A task's end is logged for every task run, so it has a cheap path: while the console echo is
the only handler that would see the line (no root handler, no ``caplog``), the task's name and
final state are handed to the console's batch (`ConsoleHandler.batch_task_end`), without a
`logging.LogRecord`. A task's end line is shown, not stored: the record already holds the task
run's final state (and a failure's traceback).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cadenza.logging.handlers import ConsoleHandler, MaskingFilter, RecordHandler, display_state
from cadenza.logging.loggers import (
    TASK_RUNS,
    attach_extra_loggers,
    ensure_configured,
    for_context,
    run_logger,
)
from cadenza.states import StateType

if TYPE_CHECKING:
    from collections.abc import Callable

    from cadenza.context import FlowRunContext
    from cadenza.runs import FlowRun, TaskRun
    from cadenza.states import State

_INFO = logging.INFO
_ERROR = logging.ERROR
_COMPLETED = StateType.COMPLETED
_NOT_STORED = {"send_to_api": False}  # Prefect's key for "show, do not store"
_task_logger = logging.getLogger(TASK_RUNS)
# Who shows a task's end line, looked up at each flow run's start rather than at each task's end
# (a handler added in the middle of a flow run shows its task lines from the next flow run on).
_NOBODY = "nobody"  # no handler would show the line
_OTHERS = "others"  # handlers other than the console would: make a real record
_tasks_console: ConsoleHandler | str = _OTHERS
_tasks_batch: Callable[[str, Any], None] | None = None  # its `batch_task_end`, while INFO shows


def flow_run_beginning(ctx: FlowRunContext, subflow: bool) -> None:
    """``Beginning flow run 'x' for flow 'y'`` (``subflow run`` for a subflow)."""
    global _tasks_console, _tasks_batch
    ensure_configured()
    attach_extra_loggers()
    _tasks_console = console = _sole_console()
    _tasks_batch = None
    if isinstance(console, ConsoleHandler) and _task_logger.isEnabledFor(_INFO):
        _tasks_batch = console.batch_task_end
    kind = "subflow" if subflow else "flow"
    for_context(ctx).info(f"Beginning {kind} run {ctx.flow_run.name!r} for flow {ctx.flow.name!r}")


def flow_run_finished(ctx: FlowRunContext, state: State[Any]) -> None:
    for_context(ctx).info(f"Finished in state {display_state(state)}")


def task_run_finished(run: TaskRun, state: State[Any]) -> None:
    """``Finished in state ...`` of a task run: INFO when it completed, ERROR otherwise."""
    if state.type is _COMPLETED:
        if run.flow_run_id is not None:
            batch = _tasks_batch
            if batch is not None and not _task_logger.disabled:
                batch(run.name, state)  # the usual case: only the console shows the line
                return
            console = _tasks_console
        else:  # a task called outside any flow: maybe the process's first run
            ensure_configured()
            console = _sole_console()
        if console is _NOBODY or not _task_logger.isEnabledFor(_INFO):
            return  # nothing would show the line: do not make it
        if isinstance(console, ConsoleHandler):
            console.write_task_end(run.name, state)
        else:  # another handler listens: a real record, shown but not stored
            message = f"Finished in state {display_state(state)}"
            run_logger(run).info(message, extra=_NOT_STORED)
    else:
        ensure_configured()
        if _task_logger.isEnabledFor(_ERROR):
            message = f"Finished in state {display_state(state)}"
            run_logger(run).error(message, extra=_NOT_STORED)


def retrying(
    run: FlowRun | TaskRun,
    state: State[Any],
    exc: BaseException | None,
    retry: int,
    retries: int,
    delay: float,
    message: str,
) -> None:
    """A failed attempt that will be retried: Prefect's INFO line for a task run,
    ``Task run failed with exception: ValueError('boom') - Retry 1/3 will start immediately``;
    a flow run keeps cadenza's WARNING with the state's message."""
    if run.kind == "flow":
        run_logger(run).warning("%s - %s", state.message, message)
        return
    when = f"{delay:g} second(s) from now" if delay else "immediately"
    failure = f"exception: {exc!r}" if exc is not None else f"state: {display_state(state)}"
    run_logger(run).info(
        f"Task run failed with {failure} - Retry {retry}/{retries} will start {when}"
    )


def failed(
    run: FlowRun | TaskRun, state: State[Any], exc: BaseException | None, retries: int
) -> None:
    """A run failed for good (ERROR, with the traceback), worded as Prefect words it:
    ``Task run failed with exception: ValueError('boom') - Retries are exhausted`` (without the
    last part when it had no retries) and ``Encountered exception during execution: ...`` for a
    flow run."""
    logger = run_logger(run)
    if exc is None or state.name == "TimedOut":
        kind = "Flow" if run.kind == "flow" else "Task"
        logger.error("%s run ended %s: %s", kind, state.name, state.message)
    elif run.kind == "flow":
        logger.error(f"Encountered exception during execution: {exc!r}", exc_info=exc)
    else:
        exhausted = " - Retries are exhausted" if retries > 0 else ""
        logger.error(f"Task run failed with exception: {exc!r}{exhausted}", exc_info=exc)


def _sole_console() -> ConsoleHandler | str:
    """The console handler when it is the only handler besides the record's that an INFO line
    of ``cadenza.task_runs`` reaches; `_NOBODY` when none does; `_OTHERS` when any other does
    (or a filter of the application's own could change the line)."""
    for f in _task_logger.filters:
        if not isinstance(f, MaskingFilter):
            return _OTHERS
    found: ConsoleHandler | str = _NOBODY
    logger: logging.Logger | None = _task_logger
    while logger is not None:
        for handler in logger.handlers:
            if type(handler) is RecordHandler:
                continue
            if isinstance(handler, ConsoleHandler) and found is _NOBODY and not handler.filters:
                if handler.level <= _INFO:
                    found = handler
                continue
            return _OTHERS
        if not logger.propagate:
            break
        logger = logger.parent
    return found


__all__ = [
    "display_state",
    "failed",
    "flow_run_beginning",
    "flow_run_finished",
    "retrying",
    "task_run_finished",
]
