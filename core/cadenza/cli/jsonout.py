"""The ``--json`` forms' output: indented JSON whose timestamps are ISO 8601 strings in UTC
(docs/cli.md, "JSON output"), whatever form the record or the server gave them in."""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any

import click

from cadenza._times import iso, iso_times, parse_iso


def iso_utc(value: Any) -> str | None:
    """Epoch seconds, a datetime or an ISO string as an ISO 8601 string in UTC (the ``--json``
    forms' timestamps, formatted as the HTTP API's by `cadenza._times.iso`); None stays None."""
    if value is None or isinstance(value, (int, float)):
        return iso(value)
    moment = parse_iso(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def with_iso_times(value: Any) -> Any:
    """`value` with every timestamp given in epoch seconds as an ISO 8601 UTC string, as the
    HTTP API answers (`cadenza._times.iso_times`: the numbers under a time key, never inside the
    user's own values such as parameters or artifact data)."""
    return iso_times(value)


def emit_json(value: Any) -> None:
    """Print `value` as the ``--json`` forms do: indented, timestamps in ISO 8601 UTC."""
    click.echo(json.dumps(with_iso_times(value), indent=2, default=str))


__all__ = ["emit_json", "iso_utc", "with_iso_times"]
