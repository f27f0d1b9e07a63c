"""What the environment asks of the plugin: whether to trace, which parameter values to record,
whether to export logs. Standard library only: the plugin module reads it when cadenza loads it.

Tracing is on when the standard OpenTelemetry variables configure an exporter
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
``OTEL_TRACES_EXPORTER``), or when ``CADENZA_OTEL_ENABLED`` is true; ``CADENZA_OTEL_ENABLED=false``
and the SDK's own ``OTEL_SDK_DISABLED=true`` turn it off. An installed plugin that is not
switched on observes nothing, so it costs cadenza nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

#: The standard variables whose presence says that traces are wanted somewhere.
EXPORTER_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_TRACES_EXPORTER",
)


def flag(env: Mapping[str, str], name: str) -> bool | None:
    """The boolean value of variable `name` (None: unset or empty). `ValueError` names the
    variable when its value is not a boolean."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {env[name]!r}")


@dataclass(frozen=True)
class Config:
    """The plugin's settings, read from the environment once (`from_env`)."""

    enabled: bool = False
    """Whether runs are traced."""
    parameter_values: frozenset[str] = frozenset()
    """Parameters whose values are recorded (``CADENZA_OTEL_PARAMETER_VALUES``, names separated
    by commas; ``*`` for all). Empty by default: only parameter names are recorded."""
    logs: bool = False
    """Whether run log lines are exported as OpenTelemetry logs (``CADENZA_OTEL_LOGS``)."""

    def records_value_of(self, parameter: str) -> bool:
        values = self.parameter_values
        return bool(values) and (parameter in values or "*" in values)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        enabled = flag(env, "CADENZA_OTEL_ENABLED")
        if enabled is None:
            enabled = any(env.get(name, "").strip() for name in EXPORTER_VARIABLES)
        if flag(env, "OTEL_SDK_DISABLED"):
            enabled = False
        names = env.get("CADENZA_OTEL_PARAMETER_VALUES", "")
        values = frozenset(n.strip() for n in names.split(",") if n.strip())
        return cls(enabled, values, bool(flag(env, "CADENZA_OTEL_LOGS")))


__all__ = ["EXPORTER_VARIABLES", "Config", "flag"]
