"""Run log lines as OpenTelemetry log records (``CADENZA_OTEL_LOGS=true``).

Each record carries the line's time, level, logger and message (secrets already masked by
cadenza), the ids of its runs, and the trace context of the run's open span, so a backend shows
a span's logs beside it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from opentelemetry._logs import LogRecord, SeverityNumber

from cadenza_otel._spans import Tracker

# logging's levels and OpenTelemetry's severity numbers (the data model's mapping)
_SEVERITIES = (
    (logging.CRITICAL, SeverityNumber.FATAL),
    (logging.ERROR, SeverityNumber.ERROR),
    (logging.WARNING, SeverityNumber.WARN),
    (logging.INFO, SeverityNumber.INFO),
    (logging.DEBUG, SeverityNumber.DEBUG),
)


def severity(level: int) -> SeverityNumber:
    """The severity number of a `logging` level (below DEBUG: TRACE)."""
    for threshold, number in _SEVERITIES:
        if level >= threshold:
            return number
    return SeverityNumber.TRACE


class LogExporter:
    """Emits each run log line to a logger of `provider`."""

    def __init__(self, provider: Any, tracker: Tracker, version: str) -> None:
        self.provider = provider
        self.tracker = tracker
        self._logger = provider.get_logger("cadenza", version)

    def emit(
        self,
        flow_run_id: str | None,
        task_run_id: str | None,
        level: int,
        logger: str,
        message: str,
        timestamp: float,
    ) -> None:
        attributes: dict[str, str] = {"cadenza.logger": logger}
        if flow_run_id:
            attributes["cadenza.flow_run.id"] = flow_run_id
        if task_run_id:
            attributes["cadenza.task_run.id"] = task_run_id
        record = LogRecord(
            timestamp=int(timestamp * 1e9),
            observed_timestamp=time.time_ns(),
            context=self.tracker.span_context_of(flow_run_id, task_run_id),
            severity_text=logging.getLevelName(level),
            severity_number=severity(level),
            body=message,
            attributes=attributes,
        )
        self._logger.emit(record)


__all__ = ["LogExporter", "severity"]
