"""OpenTelemetry traces of cadenza runs: a span per flow run, task run and retry attempt, exported
over OTLP as the standard ``OTEL_*`` variables say; run logs as OpenTelemetry logs on request.

    $ pip install cadenza-otel
    $ export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_SERVICE_NAME=etl
    $ python my_flow.py        # its runs are traced; nothing to import

The package is a cadenza plugin (entry point ``otel``): cadenza loads it, and it observes runs
only when tracing is switched on (see `cadenza_otel.plugin`). Importing it imports nothing heavy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-otel")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "__version__"])
