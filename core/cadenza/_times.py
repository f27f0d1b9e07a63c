"""Timestamps at the edges: epoch seconds (how the record stores a time) and ISO 8601 UTC
strings (how the command line's ``--json`` and the HTTP API show one).

Standard library only, so every layer can use it. `iso` is the one formatter of a time that
leaves the process (``2024-05-01T12:00:03.417202+00:00``: UTC, with its offset, microseconds
kept); `epoch` reads either form back. `iso_times` turns every time of a JSON document (the
numbers under `TIME_KEYS`) into such strings — what the server does to each answer — and
`epoch_times` turns them back into epoch seconds, for the clients whose callers read numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

TIME_KEYS = frozenset({
    "created", "updated", "start_time", "end_time", "expected_start_time",
    "next_scheduled_start_time", "timestamp", "occurred", "last_heartbeat", "lease_expires",
    "expires", "expiration", "scheduled_time", "pause_timeout", "next_due", "retry_at",
    "received", "last_polled", "next_run_time",
})  # fmt: skip
"""Keys whose value is a time, wherever they appear outside `OPAQUE_KEYS`."""

OPAQUE_KEYS = frozenset({
    "parameters", "data", "value", "payload", "resource", "related", "query", "job_variables",
    "run_input", "default", "defaults", "schema", "parameter_openapi_schema", "pull_steps",
})  # fmt: skip
"""Keys whose value is a user's (or a run's) own data, never rewritten: a parameter named
``created`` keeps the number it was given."""


def iso(ts: float | None) -> str | None:
    """Epoch seconds → ISO 8601 UTC string (``None`` stays ``None``)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def parse_iso(text: str) -> datetime:
    """An ISO 8601 string as an aware datetime (UTC when it names no offset). A trailing ``Z``
    is read as UTC (Python 3.10's `datetime.fromisoformat` does not); ValueError if malformed."""
    text = text.strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def epoch(value: float | str | datetime | None) -> float | None:
    """Epoch seconds from epoch seconds, an ISO 8601 string or a datetime (``None`` stays
    ``None``; a naive time is UTC). ValueError for a string that is neither a number nor ISO."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return parse_iso(value).timestamp()
    return float(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_CONTAINERS = (dict, list)


def _rewrite(content: Any, change: Callable[[Any], Any]) -> Any:
    """`content` with `change` applied to the value of every time key (outside opaque keys);
    containers are copied only where something changed. Kept lean: it walks every answer."""
    if type(content) is list:
        copied: list[Any] | None = None
        for i, item in enumerate(content):
            if type(item) in _CONTAINERS:
                new = _rewrite(item, change)
                if new is not item:
                    if copied is None:
                        copied = list(content)
                    copied[i] = new
        return content if copied is None else copied
    if type(content) is not dict:
        return content
    changed: dict[str, Any] | None = None
    for key in TIME_KEYS.intersection(content):
        value = content[key]
        new = change(value)
        if new is not value:
            if changed is None:
                changed = dict(content)
            changed[key] = new
    for key, value in content.items():
        if type(value) in _CONTAINERS and key not in OPAQUE_KEYS and key not in TIME_KEYS:
            new = _rewrite(value, change)
            if new is not value:
                if changed is None:
                    changed = dict(content)
                changed[key] = new
    return content if changed is None else changed


def _to_iso(value: Any) -> Any:
    return iso(value) if _is_number(value) else value


def _to_epoch(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return epoch(value)
        except ValueError:
            return value
    return value


def iso_times(content: Any) -> Any:
    """A JSON document with every time (a number under `TIME_KEYS`) an ISO 8601 UTC string.
    Anything else — a string already, a list, null — is left as it is."""
    return _rewrite(content, _to_iso)


def epoch_times(content: Any) -> Any:
    """The inverse of `iso_times`: every ISO 8601 string under `TIME_KEYS` as epoch seconds."""
    return _rewrite(content, _to_epoch)


__all__ = ["OPAQUE_KEYS", "TIME_KEYS", "epoch", "epoch_times", "iso", "iso_times", "parse_iso"]
