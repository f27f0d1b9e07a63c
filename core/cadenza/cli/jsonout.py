"""The ``--json`` forms' output: indented JSON whose timestamps are ISO 8601 strings in UTC
(docs/cli.md, "JSON output"), whatever form the record or the server gave them in."""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any

import click

from cadenza._times import iso, parse_iso


def iso_utc(value: Any) -> str | None:
    """Epoch seconds, a datetime or an ISO string as an ISO 8601 string in UTC (the ``--json``
    forms' timestamps, formatted as the HTTP API's by `cadenza._times.iso`); None stays None."""
    if value is None or isinstance(value, (int, float)):
        return iso(value)
    moment = parse_iso(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


TIME_KEYS = frozenset({
    "created", "updated", "timestamp", "occurred", "received", "expires", "last_heartbeat",
    "last_polled", "start_time", "end_time", "expected_start_time", "next_run_time",
})  # fmt: skip
OPAQUE_KEYS = frozenset({"parameters", "data", "value", "job_variables", "payload", "defaults"})


def with_iso_times(value: Any, key: str | None = None) -> Any:
    """`value` with every timestamp given in epoch seconds as an ISO 8601 UTC string: the
    numbers under a time key (`TIME_KEYS`, or a key ending in ``_time``), at any depth but
    inside the user's own values (`OPAQUE_KEYS`: parameters, artifact data, ...)."""
    if isinstance(value, dict):
        return {k: v if k in OPAQUE_KEYS else with_iso_times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [with_iso_times(v, key) for v in value]
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number and key is not None and (key in TIME_KEYS or key.endswith("_time")):
        return iso_utc(value)
    return value


def emit_json(value: Any) -> None:
    """Print `value` as the ``--json`` forms do: indented, timestamps in ISO 8601 UTC."""
    click.echo(json.dumps(with_iso_times(value), indent=2, default=str))


__all__ = ["OPAQUE_KEYS", "TIME_KEYS", "emit_json", "iso_utc", "with_iso_times"]
