"""Handlers on the ``cadenza`` logger: one records run logs, one echoes them to the console.

Both mask the secret values of every block saved or loaded in this process (see
`cadenza.masking`): an occurrence in a message, or in an exception's traceback, is
replaced by ``********`` before it is recorded or printed.
"""

from __future__ import annotations

import logging
import sys

from cadenza.backends import get_backend
from cadenza.context import _flow_run_ctx
from cadenza.masking import mask

_formatter = logging.Formatter()


class RecordHandler(logging.Handler):
    """Stores each record that belongs to a run (has a `flow_run_id` or `task_run_id`)."""

    def emit(self, record: logging.LogRecord) -> None:
        flow_run_id = getattr(record, "flow_run_id", None)
        task_run_id = getattr(record, "task_run_id", None)
        if flow_run_id is None and task_run_id is None:
            return
        try:
            message = record.getMessage()
            if record.exc_info:
                message = f"{message}\n{_formatter.formatException(record.exc_info)}"
            message = mask(message)

            ctx = _flow_run_ctx.get()  # a remote worker's runs record into their own backend
            backend = ctx.backend if ctx is not None else get_backend()
            backend.log(
                flow_run_id, task_run_id, record.levelno, record.name, message, record.created
            )
        except Exception:
            self.handleError(record)


class ConsoleFormatter(logging.Formatter):
    """``12:01:02.345 | INFO    | Flow run 'brave-otter' - message``, as Prefect prints it."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s.%(msecs)03d | %(levelname)-7s | %(run_label)s - %(message)s", "%H:%M:%S"
        )

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "run_label"):
            record.run_label = record.name
        return super().format(record)


class ConsoleHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (so redirection and capture work)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(ConsoleFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


__all__ = ["ConsoleFormatter", "ConsoleHandler", "RecordHandler"]
