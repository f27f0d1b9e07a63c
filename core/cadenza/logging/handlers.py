"""Handlers of run logs: one records them with their run, one echoes them to the console.

Both mask the secret values of every block saved or loaded in this process (see
`cadenza.masking`): an occurrence in a message, or in an exception's traceback, is
replaced by ``********`` before it is recorded or printed. `MaskingFilter` does the same on
the run loggers themselves, so handlers of the user's own (on the root logger, pytest's
``caplog``) never see a secret either.
"""

from __future__ import annotations

import atexit
import collections
import logging
import sys
import threading
import time
import weakref
from typing import Any

from cadenza import masking
from cadenza.backends import get_backend
from cadenza.context import _flow_run_ctx, _task_run_ctx
from cadenza.logging.tracebacks import format_exception, mark_shown, was_shown
from cadenza.masking import mask

_formatter = logging.Formatter()


class RecordHandler(logging.Handler):
    """Stores each record that belongs to a run (has a `flow_run_id` or `task_run_id`).

    A record logged with ``extra={"send_to_api": False}`` is shown, not stored (Prefect's key).
    """

    def emit(self, record: logging.LogRecord) -> None:
        flow_run_id, task_run_id = self.run_ids(record)
        if flow_run_id is None and task_run_id is None:
            return
        if getattr(record, "send_to_api", True) is False:
            return
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message = f"{message}\n{format_exception(record.exc_info)}"
            message = mask(message)

            ctx = _flow_run_ctx.get()  # a remote worker's runs record into their own backend
            backend = ctx.backend if ctx is not None else get_backend()
            backend.log(
                flow_run_id, task_run_id, record.levelno, record.name, message, record.created
            )
        except Exception:
            self.handleError(record)

    def run_ids(self, record: logging.LogRecord) -> tuple[str | None, str | None]:
        return getattr(record, "flow_run_id", None), getattr(record, "task_run_id", None)


class ContextRecordHandler(RecordHandler):
    """On a library's logger (``CADENZA_LOGGING_EXTRA_LOGGERS``): a record logged while a run
    runs is stored with that run, as Prefect's API handler does; others are left alone."""

    def run_ids(self, record: logging.LogRecord) -> tuple[str | None, str | None]:
        task_ctx = _task_run_ctx.get()
        if task_ctx is not None:
            return task_ctx.task_run.flow_run_id, task_ctx.task_run.id
        flow_ctx = _flow_run_ctx.get()
        return (flow_ctx.flow_run.id, None) if flow_ctx is not None else (None, None)


class MaskingFilter(logging.Filter):
    """Masks secret values in a record before any handler sees it (free while none is
    registered: the usual case)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if masking.any_registered():
            message = record.getMessage()
            masked = mask(message)
            if masked != message:
                record.msg, record.args = masked, None
            if record.exc_info and not record.exc_text:
                record.exc_text = mask(_formatter.formatException(record.exc_info))
        return True


_clock_cache: tuple[int, str] = (-1, "")
_MILLIS = tuple(f".{ms:03d}" for ms in range(1000))


def clock(created: float) -> str:
    """``HH:MM:SS.mmm`` of a timestamp, local time; the seconds part is formatted once per
    second (``time.strftime`` is most of the cost of a console line)."""
    global _clock_cache
    second = int(created)
    cached_second, prefix = _clock_cache
    if second != cached_second:
        prefix = time.strftime("%H:%M:%S", time.localtime(second))
        _clock_cache = (second, prefix)
    return prefix + _MILLIS[int((created - second) * 1000)]


def display_state(state: Any) -> str:
    """A state as Prefect's ``str(state)`` shows it: ``Completed()``, ``Failed('message')``,
    ``Cached(type=COMPLETED)``."""
    name, message, type_name = state.name, state.message, state.type.value
    if not message and name == "Completed":
        return "Completed()"
    parts = [repr(message)] if message else []
    if name.upper() != type_name:
        parts.append(f"type={type_name}")
    return f"{name}({', '.join(parts)})"


def run_label(record: logging.LogRecord) -> str:
    """``Flow run 'brave-otter'``, ``Task run 'add-0'``, else the logger's name (as Prefect)."""
    name = record.name
    if name == "cadenza.task_runs":
        task_run_name = getattr(record, "task_run_name", None)
        if task_run_name is not None:
            return f"Task run {task_run_name!r}"
    elif name == "cadenza.flow_runs":
        flow_run_name = getattr(record, "flow_run_name", None)
        if flow_run_name is not None:
            return f"Flow run {flow_run_name!r}"
    return name


class ConsoleFormatter(logging.Formatter):
    """``12:01:02.345 | INFO    | Flow run 'brave-otter' - message``, as Prefect prints it.

    An exception's traceback shows the user's frames, once (`cadenza.logging.tracebacks`): a
    later line about the same exception shows no traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{clock(record.created)} | {record.levelname:<7} | {run_label(record)} - "
        line += record.getMessage()
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None:
            exc = exc_info[1]
            if not was_shown(exc):
                line = f"{line}\n{format_exception(exc_info)}"
                mark_shown(exc)
        elif record.exc_text:
            line = f"{line}\n{record.exc_text}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return line


class ConsoleHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (so redirection and capture work):
    Prefect's console stream.

    `batch_task_end` is the engine's cheap path for the one line of every task run: inside a
    flow run the lines are formatted and written together, within `BATCH_SECONDS` or before
    the next other line, so that 10,000 tasks cost neither 10,000 formattings on their own
    thread nor 10,000 writes; each goes to the stream that was current when it was logged.
    """

    BATCH_SECONDS = 0.05

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(ConsoleFormatter())
        self._pending: collections.deque[tuple[Any, str, Any]] = collections.deque()
        self._timer: threading.Timer | None = None
        self._timer_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if self._pending:
            self.flush_pending()
        self.stream = sys.stderr
        super().emit(record)

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))

    def write_task_end(self, task_run_name: str, state: Any) -> None:
        """Show ``Finished in state ...`` (INFO) of task run `task_run_name`, stamped with its
        final `state`'s time, now."""
        self._pending.append((sys.stderr, task_run_name, state))
        self.flush_pending()

    def batch_task_end(self, task_run_name: str, state: Any) -> None:
        """`write_task_end` with the next batch (once per task run: kept to the minimum)."""
        self._pending.append((sys.stderr, task_run_name, state))  # deque: atomic
        if self._timer is None:
            self._start_timer()

    def _start_timer(self) -> None:
        with self._timer_lock:
            if self._timer is None:
                _pending_handlers.add(self)
                self._timer = threading.Timer(self.BATCH_SECONDS, self.flush_pending)
                self._timer.daemon = True
                self._timer.start()

    def flush_pending(self) -> None:
        """Write the pending lines now, in order, each to its stream."""
        with self._timer_lock:
            timer, self._timer = self._timer, None  # cleared first: a line added from now on
        if timer is not None and timer is not threading.current_thread():  # starts a timer
            timer.cancel()
        with self.lock:  # type: ignore[union-attr]  # None only before createLock
            pending = self._pending
            stream, lines = None, []
            while pending:
                target, name, state = pending.popleft()
                if target is not stream and lines:
                    _write(stream, lines)
                    lines = []
                stream = target
                lines.append(
                    f"{clock(state.ts)} | INFO    | Task run {name!r} - "
                    f"Finished in state {display_state(state)}\n"
                )
            if lines:
                _write(stream, lines)


def _write(stream: Any, lines: list[str]) -> None:
    try:
        stream.write(mask("".join(lines)))
        stream.flush()
    except Exception:
        pass  # as `emit` would, a closed or broken console does not stop the run


_pending_handlers: weakref.WeakSet[ConsoleHandler] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for handler in list(_pending_handlers):
        handler.flush_pending()


__all__ = [
    "ConsoleFormatter",
    "ConsoleHandler",
    "ContextRecordHandler",
    "MaskingFilter",
    "RecordHandler",
    "clock",
    "display_state",
    "run_label",
]
