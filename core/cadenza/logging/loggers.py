"""Loggers bound to a run. Lines logged through them carry the run's ids, so the record handler
stores them with the run and the console shows which run spoke."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cadenza.context import get_run_context
from cadenza.logging.handlers import ConsoleHandler, RecordHandler
from cadenza.settings import spec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cadenza.runs import FlowRun, TaskRun

    _LoggerAdapter = logging.LoggerAdapter[logging.Logger]
else:
    _LoggerAdapter = logging.LoggerAdapter  # subscriptable only from Python 3.11

_configured = False


class RunLoggerAdapter(_LoggerAdapter):
    """Adds the run's ids and label to every record (merging any `extra` the caller passes)."""

    extra: Mapping[str, object]  # always given (the run's ids), never None

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = kwargs.get("extra")
        kwargs["extra"] = {**self.extra, **extra} if extra else self.extra
        return msg, kwargs


def get_logger(name: str = "cadenza") -> logging.Logger:
    """A logger under the ``cadenza`` namespace, with cadenza's handlers configured."""
    ensure_configured()
    return logging.getLogger(name if name.startswith("cadenza") else f"cadenza.{name}")


def flow_run_logger(run: FlowRun) -> RunLoggerAdapter:
    return RunLoggerAdapter(
        get_logger("cadenza.flow_runs"),
        {"flow_run_id": run.id, "task_run_id": None, "run_label": f"Flow run {run.name!r}"},
    )


def task_run_logger(run: TaskRun) -> RunLoggerAdapter:
    return RunLoggerAdapter(
        get_logger("cadenza.task_runs"),
        {
            "flow_run_id": run.flow_run_id,
            "task_run_id": run.id,
            "run_label": f"Task run {run.name!r}",
        },
    )


def run_logger(run: FlowRun | TaskRun) -> RunLoggerAdapter:
    return flow_run_logger(run) if run.kind == "flow" else task_run_logger(run)


def for_context(ctx: Any) -> RunLoggerAdapter:
    """The logger of run context `ctx` (a `FlowRunContext` or `TaskRunContext`), made once."""
    logger: RunLoggerAdapter | None = ctx._logger
    if logger is None:
        run: FlowRun | TaskRun = getattr(ctx, "task_run", None) or ctx.flow_run
        logger = ctx._logger = run_logger(run)
    return logger


def get_run_logger(context: Any = None, **kwargs: Any) -> RunLoggerAdapter:
    """The logger of the current task run, else of the current flow run.

    Raises `MissingContextError` outside any run, as Prefect does. Extra keyword arguments are
    added to every record.
    """

    ctx = context if context is not None else get_run_context()
    logger = for_context(ctx)
    if kwargs:
        return RunLoggerAdapter(logger.logger, {**logger.extra, **kwargs})
    return logger


def ensure_configured() -> None:
    """Attach the record and console handlers to the ``cadenza`` logger, once per process."""
    global _configured
    if _configured:
        return

    root = logging.getLogger("cadenza")
    level = spec.get("CADENZA_LOGGING_LEVEL")
    root.setLevel(level.upper() if isinstance(level, str) else level)
    root.addHandler(RecordHandler())
    if spec.get("CADENZA_LOGGING_CONSOLE"):
        root.addHandler(ConsoleHandler())
    root.propagate = False
    _configured = True


__all__ = [
    "RunLoggerAdapter",
    "ensure_configured",
    "flow_run_logger",
    "for_context",
    "get_logger",
    "get_run_logger",
    "run_logger",
    "task_run_logger",
]
