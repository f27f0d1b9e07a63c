"""The OpenTelemetry pipeline the plugin's spans and logs go through, configured by the standard
``OTEL_*`` variables.

When the application already installed a tracer provider of its own (``opentelemetry-instrument``,
or code that calls ``trace.set_tracer_provider``), cadenza's spans go there and nothing else is
set up. Otherwise the plugin installs an SDK `TracerProvider` as the global one — so spans that
task code starts go to the same place — with a resource from ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` and a batch processor around the exporter that
``OTEL_TRACES_EXPORTER`` names: ``otlp`` (the default), ``console`` or ``none``. The OTLP exporter
reads its own variables (``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT``, ``..._HEADERS``,
``..._TIMEOUT``, ``..._PROTOCOL``: ``http/protobuf`` by default, ``grpc`` when
opentelemetry-exporter-otlp-proto-grpc is installed).
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource

#: How long a flush may wait for the exporter, in milliseconds.
FLUSH_TIMEOUT_MS = 5_000


def _otlp_exporter(signal: str) -> Any:
    """An OTLP exporter of `signal` (``TRACES`` or ``LOGS``) for the protocol the variables
    name; it reads its endpoint, headers, timeout and compression from them itself."""
    protocol = (
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    package = "grpc" if protocol == "grpc" else "http"
    module, name = _OTLP[signal]
    try:
        exporter = getattr(import_module(f"opentelemetry.exporter.otlp.proto.{package}.{module}"),
                           name)  # fmt: skip
    except ImportError as exc:
        raise ImportError(
            f"OTLP over {protocol} needs opentelemetry-exporter-otlp-proto-{package} installed"
        ) from exc
    return exporter()


_OTLP = {
    "TRACES": ("trace_exporter", "OTLPSpanExporter"),
    "LOGS": ("_log_exporter", "OTLPLogExporter"),
}


def _span_exporter() -> Any:
    name = (os.environ.get("OTEL_TRACES_EXPORTER") or "otlp").split(",")[0].strip().lower()
    if name == "none":
        return None
    if name == "console":
        # lazily: only the exporter asked for is imported
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name != "otlp":
        raise ValueError(f"OTEL_TRACES_EXPORTER must be otlp, console or none, not {name!r}")
    return _otlp_exporter("TRACES")


def tracer_provider() -> Any:
    """The global tracer provider: the application's, or one installed now (module docstring)."""
    current = trace.get_tracer_provider()
    if not isinstance(current, trace.ProxyTracerProvider):
        return current
    # lazily: the SDK only when the application brought no provider of its own
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create())
    exporter = _span_exporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    installed = trace.get_tracer_provider()  # another thread may have won the race
    return installed


def logger_provider() -> Any:
    """A logger provider that exports over OTLP (``OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT``): the
    application's global one if it set one, else one made for cadenza's run logs."""
    # lazily: logs are opt-in (CADENZA_OTEL_LOGS)
    from opentelemetry import _logs
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    current = _logs.get_logger_provider()
    if isinstance(current, LoggerProvider):
        return current
    provider = LoggerProvider(resource=Resource.create())
    provider.add_log_record_processor(BatchLogRecordProcessor(_otlp_exporter("LOGS")))
    return provider


def flush(*providers: Any) -> None:
    """Export what the providers hold now (waiting at most `FLUSH_TIMEOUT_MS` each)."""
    for provider in providers:
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is not None:
            force_flush(FLUSH_TIMEOUT_MS)


__all__ = ["FLUSH_TIMEOUT_MS", "flush", "logger_provider", "tracer_provider"]
