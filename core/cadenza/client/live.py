"""Server-sent events of ``GET /stream`` (docs/reference/http-api.md#live-updates) as dicts,
for `ApiClient.stream_changes` and `AsyncApiClient.stream_changes`: `stream_request` builds the
request, `EventParser` reads events from the answer's bytes as they arrive."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any


class EventParser:
    """Feed it the answer's bytes, chunk by chunk; each complete event block comes out as
    ``{"event", "id", "data"}`` (``data`` decoded from JSON); a keep-alive is
    ``{"event": "keep-alive", "id": <cursor>}``."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self._buffer += chunk
        events = []
        while b"\n\n" in self._buffer:
            block, self._buffer = self._buffer.split(b"\n\n", 1)
            events.append(_event(block))
        return events


def _event(block: bytes) -> dict[str, Any]:
    event: dict[str, Any] = {"event": "message"}
    data: list[str] = []
    for line in block.decode().split("\n"):
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "" and value.strip() == "keep-alive":
            event["event"] = "keep-alive"
        elif name in ("event", "id"):
            event[name] = value
        elif name == "data":
            data.append(value)
    if data:
        event["data"] = json.loads("\n".join(data))
    return event


def parse_events(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The events in `chunks`, as `EventParser` gives them, as the bytes arrive."""
    parser = EventParser()
    for chunk in chunks:
        yield from parser.feed(chunk)


def stream_request(
    *,
    flow_run_id: str | None,
    cursor: str | None,
    log_level: int | None,
    states: Sequence[str],
    flow_name: str | None,
    deployment: str | None,
    tags: Sequence[str],
    q: str | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The query parameters and headers of a ``GET /stream`` request: one flow run's changes
    or those of the runs the filters match, log lines from `log_level` (None: none), from
    `cursor` (an event's ``id``) or from now."""
    params = {
        "flow_run_id": flow_run_id, "state": list(states), "flow_name": flow_name,
        "deployment": deployment, "tag": list(tags), "q": q,
        "log_level": log_level,
        "logs": "false" if log_level is None else None,
    }  # fmt: skip
    present = {k: v for k, v in params.items() if v is not None}
    return present, ({"Last-Event-ID": cursor} if cursor else {})


__all__ = ["EventParser", "parse_events", "stream_request"]
