"""Loggers bound to a run, named and shaped as Prefect's.

A run logger is a `logging.LoggerAdapter` over ``cadenza.flow_runs`` or ``cadenza.task_runs``
(children of ``cadenza``, as ``prefect.flow_runs`` of ``prefect``) that adds Prefect's `extra`
fields to every record: ``flow_run_id``, ``flow_run_name``, ``flow_name`` and, for a task run,
``task_run_id``, ``task_run_name``, ``task_name``. The record handler stores a line with its run
by these ids; the console shows which run spoke. Records propagate to the root logger, so
handlers of the application's own and pytest's ``caplog`` see them.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from cadenza.context import FlowRunContext, TaskRunContext, _flow_run_ctx, _task_run_ctx
from cadenza.exceptions import MissingContextError
from cadenza.logging.handlers import (
    ConsoleHandler,
    ContextRecordHandler,
    MaskingFilter,
    RecordHandler,
)
from cadenza.logging.tracebacks import install_excepthook
from cadenza.settings import spec

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from cadenza.runs import FlowRun, TaskRun

    _LoggerAdapter = logging.LoggerAdapter[logging.Logger]
else:
    _LoggerAdapter = logging.LoggerAdapter  # subscriptable only from Python 3.11

FLOW_RUNS = "cadenza.flow_runs"
TASK_RUNS = "cadenza.task_runs"
_configured = False
_extra_loggers: str | None = None  # the setting's value the extra loggers were attached for
_masking = MaskingFilter()
_extra_handler = ContextRecordHandler()


class RunLoggerAdapter(_LoggerAdapter):
    """Adds the run's fields to every record (merging any `extra` the caller passes)."""

    extra: Mapping[str, object]  # always given (the run's ids), never None

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = kwargs.get("extra")
        kwargs["extra"] = {**self.extra, **extra} if extra else self.extra
        return msg, kwargs

    def getChild(self, suffix: str, extra: dict[str, Any] | None = None) -> RunLoggerAdapter:
        return RunLoggerAdapter(self.logger.getChild(suffix), {**self.extra, **(extra or {})})


def get_logger(name: str | None = None) -> logging.Logger:
    """A logger under the ``cadenza`` namespace, with cadenza's handlers configured."""
    ensure_configured()
    if not name or name == "cadenza":
        return logging.getLogger("cadenza")
    return logging.getLogger(name if name.startswith("cadenza.") else f"cadenza.{name}")


def flow_run_logger(
    flow_run: Any = None, flow: Any = None, flow_run_id: Any = None, **kwargs: Any
) -> RunLoggerAdapter:
    """The logger of `flow_run` (for state hooks and other code outside its run context).

    Prefect's signature: a flow run record (or only its id) and optionally its flow; extra
    keyword arguments are added to every record.
    """
    if flow_run is None and flow_run_id is None:
        raise ValueError("Either 'flow_run' or 'flow_run_id' must be provided.")
    if flow is not None:
        flow_name = flow.name
    else:
        flow_name = getattr(flow_run, "flow_name", None) or "<unknown>"
    extra = {
        "flow_run_name": flow_run.name if flow_run is not None else "<unknown>",
        "flow_run_id": str(flow_run.id if flow_run is not None else flow_run_id),
        "flow_name": flow_name,
    }
    return RunLoggerAdapter(get_logger(FLOW_RUNS), {**extra, **kwargs} if kwargs else extra)


def task_run_logger(
    task_run: Any, task: Any = None, flow_run: Any = None, flow: Any = None, **kwargs: Any
) -> RunLoggerAdapter:
    """The logger of `task_run` (for state hooks and other code outside its run context).

    Prefect's signature; the flow run and flow default to those of the current flow run.
    """
    if flow_run is None or flow is None:
        flow_ctx = _flow_run_ctx.get()
        if flow_ctx is not None:
            flow_run = flow_run or flow_ctx.flow_run
            flow = flow or flow_ctx.flow
    flow_run_id = task_run.flow_run_id
    extra = {
        "task_run_id": str(task_run.id),
        "flow_run_id": str(flow_run_id) if flow_run_id is not None else None,
        "task_run_name": task_run.name,
        "task_name": task.name
        if task is not None
        else getattr(task_run, "task_name", None) or "<unknown>",
        "flow_run_name": flow_run.name if flow_run is not None else "<unknown>",
        "flow_name": flow.name if flow is not None else "<unknown>",
    }
    return RunLoggerAdapter(get_logger(TASK_RUNS), {**extra, **kwargs} if kwargs else extra)


def run_logger(run: FlowRun | TaskRun) -> RunLoggerAdapter:
    """The logger of a run record, as the engine holds it."""
    return flow_run_logger(run) if run.kind == "flow" else task_run_logger(run)


def for_context(ctx: Any) -> RunLoggerAdapter:
    """The logger of run context `ctx` (a `FlowRunContext` or `TaskRunContext`), made once."""
    logger: RunLoggerAdapter | None = ctx._logger
    if logger is None:
        if isinstance(ctx, TaskRunContext):
            logger = task_run_logger(ctx.task_run, ctx.task)
        else:
            logger = flow_run_logger(ctx.flow_run, ctx.flow)
        ctx._logger = logger
    return logger


def get_run_logger(context: Any = None, **kwargs: Any) -> RunLoggerAdapter:
    """The logger of the current task run, else of the current flow run.

    Raises `MissingContextError` outside any run, as Prefect does, unless the run loggers are
    disabled (`disable_run_logger`): then a logger that drops everything. Extra keyword
    arguments are added to every record.
    """
    if context is not None and not isinstance(context, (FlowRunContext, TaskRunContext)):
        raise TypeError(
            f"Received unexpected type {type(context).__name__!r} for context. "
            "Expected one of 'None', 'FlowRunContext', or 'TaskRunContext'."
        )
    ctx = context if context is not None else (_task_run_ctx.get() or _flow_run_ctx.get())
    if ctx is None:
        if logging.getLogger(FLOW_RUNS).disabled and logging.getLogger(TASK_RUNS).disabled:
            null = logging.getLogger("null")
            null.disabled = True
            return RunLoggerAdapter(null, {})
        raise MissingContextError("There is no active flow or task run context.")
    logger = for_context(ctx)
    if kwargs:
        return RunLoggerAdapter(logger.logger, {**logger.extra, **kwargs})
    return logger


@contextlib.contextmanager
def disable_logger(name: str) -> Iterator[None]:
    """Disable logger `name` inside the block; restore what it was after."""
    logger = logging.getLogger(name)
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


@contextlib.contextmanager
def disable_run_logger() -> Iterator[None]:
    """Disable the flow-run and task-run loggers inside the block (as Prefect's: e.g. to call
    a task's ``.fn`` that uses `get_run_logger` outside any run)."""
    with disable_logger(FLOW_RUNS), disable_logger(TASK_RUNS):
        yield


def _has_user_handlers(logger: logging.Logger) -> bool:
    """Whether the application configured `logger` (the root) itself, as Prefect judges it:
    a handler with a formatter that is not pytest's capture nor a private one."""
    return any(
        handler.formatter is not None
        and not isinstance(handler, ConsoleHandler)
        and not type(handler).__name__.startswith("_")
        and type(handler).__name__ != "LogCaptureHandler"
        for handler in logger.handlers
    )


def ensure_configured() -> None:
    """Attach the record and console handlers to the ``cadenza`` logger, once per process.

    The console echo is left out when the application has handlers of its own on the root
    logger (``logging.basicConfig(...)``): run lines reach those, as in Prefect, rather than
    appearing twice.
    """
    global _configured
    if _configured:
        return

    root = logging.getLogger("cadenza")
    level = spec.get("CADENZA_LOGGING_LEVEL")
    root.setLevel(level.upper() if isinstance(level, str) else level)
    root.addHandler(RecordHandler())
    if spec.get("CADENZA_LOGGING_CONSOLE") and not _has_user_handlers(logging.getLogger()):
        root.addHandler(ConsoleHandler())
        install_excepthook()  # a failure the console showed is not printed again at exit
    root.propagate = True
    for name in (FLOW_RUNS, TASK_RUNS):
        logger = logging.getLogger(name)
        if _masking not in logger.filters:
            logger.addFilter(_masking)
    _configured = True
    attach_extra_loggers()


def attach_extra_loggers() -> None:
    """Record the lines of the loggers named in ``CADENZA_LOGGING_EXTRA_LOGGERS`` with the run
    that logs them (and echo them with the console, when it is on); read again at each flow
    run's start, so a changed setting applies to the next run."""
    global _extra_loggers
    value = spec.get("CADENZA_LOGGING_EXTRA_LOGGERS")
    if value == _extra_loggers:
        return
    _extra_loggers = value
    console = [h for h in logging.getLogger("cadenza").handlers if isinstance(h, ConsoleHandler)]
    for name in (value or "").split(","):
        name = name.strip()
        if not name or name == "cadenza" or name.startswith("cadenza."):
            continue  # cadenza's own loggers are recorded already
        logger = logging.getLogger(name)
        for handler in (_extra_handler, *console[:1]):
            if handler not in logger.handlers:
                logger.addHandler(handler)
        if _masking not in logger.filters:
            logger.addFilter(_masking)


__all__ = [
    "FLOW_RUNS",
    "TASK_RUNS",
    "RunLoggerAdapter",
    "attach_extra_loggers",
    "disable_logger",
    "disable_run_logger",
    "ensure_configured",
    "flow_run_logger",
    "for_context",
    "get_logger",
    "get_run_logger",
    "run_logger",
    "task_run_logger",
]
