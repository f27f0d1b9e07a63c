"""Plain-text formatting shared by the CLI's human output (standard library only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def short_id(run_id: str | None) -> str:
    """The last 8 characters of a run id (its random part; ids are time-ordered UUIDs, so their
    first characters are shared by runs created close together). Accepted back as RUN_ID."""
    return (run_id or "")[-8:]


def local_time(iso: str | None, *, millis: bool = True) -> str:
    """An ISO timestamp as local wall-clock time (with milliseconds unless `millis` is false)."""
    if not iso:
        return "-"
    text = datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")
    return text[:-3] if millis else text[:-7]


def duration(seconds: float | None) -> str:
    """``1.25s`` under a minute, else ``3m 4s`` / ``1h 2m 3s``; '-' when unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"


def log_line(log: dict[str, Any], flow_run_id: str) -> str:
    """``time | LEVEL | logger/run - message``: the line format of ``cadenza runs logs``.

    `run` is the short id of the task run that logged, or of the flow run itself.
    """
    run = short_id(log["task_run_id"] or flow_run_id)
    return (
        f"{local_time(log['timestamp'])} | {log['level_name']:<8} | "
        f"{log['logger']}/{run} - {log['message']}"
    )


__all__ = ["duration", "local_time", "log_line", "short_id"]
