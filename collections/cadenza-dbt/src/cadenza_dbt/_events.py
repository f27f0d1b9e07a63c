"""Reading dbt's structured log (``--log-format json``): one event per line.

Each line is ``{"info": {"name", "level", "msg", "ts", ...}, "data": {...}}``; an event about a
node carries ``data.node_info`` (``unique_id``, ``node_name``, ``resource_type``,
``node_status``, ``node_started_at``, ``node_finished_at``) and ``NodeFinished`` also
``data.run_result`` (``status``, ``message``). dbt's node times are UTC without a zone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


@dataclass(frozen=True)
class Event:
    name: str
    level: int
    msg: str
    unique_id: str | None = None
    node_name: str = ""
    resource_type: str = ""
    node_status: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    result_status: str | None = None
    result_message: str | None = None


def parse(line: str) -> Event | None:
    """The event on `line`; None for a line that is not one of dbt's JSON events."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        raw = json.loads(line)
        info = raw["info"]
        name = str(info["name"])
    except (ValueError, KeyError, TypeError):
        return None
    data: dict[str, Any] = raw.get("data") or {}
    level = LEVELS.get(str(info.get("level", "info")).lower(), logging.INFO)
    msg = str(info.get("msg") or "")
    node = data.get("node_info") or {}
    result = data.get("run_result") or {}
    unique_id = node.get("unique_id") or None
    return Event(
        name=name,
        level=level,
        msg=msg,
        unique_id=unique_id,
        node_name=str(node.get("node_name") or ""),
        resource_type=str(node.get("resource_type") or ""),
        node_status=str(node.get("node_status") or ""),
        started_at=timestamp(node.get("node_started_at")),
        finished_at=timestamp(node.get("node_finished_at")),
        result_status=str(result["status"]) if result.get("status") else None,
        result_message=str(result["message"]) if result.get("message") else None,
    )


def timestamp(text: Any) -> float | None:
    """POSIX seconds of one of dbt's ISO times (UTC when it names no zone); None if blank."""
    if not text or not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
