"""The `cadenza` entry point of cadenza-otel (``[project.entry-points.cadenza] otel``).

The observer hooks are defined only when tracing is switched on (`cadenza_otel._config`): an
installed plugin that is not configured implements no hook, so cadenza never loads its plugin
manager for it and runs pay nothing. Imported when cadenza looks for observers, so it imports
nothing but the `hookimpl` marker and the configuration: OpenTelemetry is imported at the first
state change, with the tracer (`cadenza_otel._spans`).
"""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING, Any

from cadenza import hookimpl

from cadenza_otel._config import Config

if TYPE_CHECKING:
    from cadenza_otel._logs import LogExporter
    from cadenza_otel._spans import Tracker

#: The cadenza versions this plugin works with (a PEP 440 specifier set).
CADENZA_API = ">=0.1,<0.2"

CONFIG = Config.from_env()
"""The configuration this process traces with, read from the environment at import."""

_started: tuple[Tracker, LogExporter | None] | None = None
_starting = threading.Lock()


def _start() -> tuple[Tracker, LogExporter | None]:
    """The process's tracker (and log exporter), made at the first call."""
    global _started
    started = _started
    if started is not None:
        return started
    with _starting:
        if _started is None:
            # lazily: OpenTelemetry loads at the first traced state change, not with the plugin
            from opentelemetry import trace

            from cadenza_otel import _providers, _spans

            version = _version()
            provider = _providers.tracer_provider()
            tracer = trace.get_tracer("cadenza", version, tracer_provider=provider)
            logs = _providers.logger_provider() if CONFIG.logs else None
            tracker = _spans.Tracker(CONFIG, tracer, lambda: _providers.flush(provider, logs))
            # before the providers' own exit handlers (registered earlier, so run later) export
            atexit.register(tracker.end_pending)
            exporter = None
            if logs is not None:
                from cadenza_otel._logs import LogExporter  # lazily: with the tracer, above

                exporter = LogExporter(logs, tracker, version)
            _started = (tracker, exporter)
        return _started


def _version() -> str:
    from importlib.metadata import version  # lazily: only when tracing starts

    return version("cadenza-otel")


if CONFIG.enabled:

    @hookimpl
    def on_flow_run_state(flow_run: Any, new_state: Any) -> None:
        _start()[0].state_changed(flow_run, new_state)

    @hookimpl
    def on_task_run_state(task_run: Any, new_state: Any) -> None:
        _start()[0].state_changed(task_run, new_state)

    @hookimpl
    def run_trace_context(run_id: str) -> dict[str, str] | None:
        return _start()[0].trace_context(run_id)

    if CONFIG.logs:

        @hookimpl
        def on_log(
            flow_run_id: str | None,
            task_run_id: str | None,
            level: int,
            logger: str,
            message: str,
            timestamp: float,
        ) -> None:
            exporter = _start()[1]
            if exporter is not None:
                exporter.emit(flow_run_id, task_run_id, level, logger, message, timestamp)
