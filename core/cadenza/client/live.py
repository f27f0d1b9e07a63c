"""Server-sent events of ``GET /stream`` (docs/reference/http-api.md#live-updates) as dicts:
`parse_events` reads them from the answer's bytes, for `ApiClient.stream_changes`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


def parse_events(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Each event block as ``{"event", "id", "data"}`` (``data`` decoded from JSON), as the
    bytes arrive; a keep-alive is ``{"event": "keep-alive", "id": <cursor>}``."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
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
            yield event


__all__ = ["parse_events"]
