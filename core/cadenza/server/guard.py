"""ASGI middleware in front of every route: bearer-token auth and the request body limit.

With an API key, every request needs it but a GET (or HEAD) of exactly one of the open paths:
``/api/health`` always, and those the app adds (``/metrics`` when
``CADENZA_SERVER_METRICS_OPEN`` says so). Auth comes first, so the body of an unauthenticated
request is never read. The whole body is read (up to `max_body` bytes) before the app sees it:
a larger one, by its Content-Length or by what actually arrives, is answered 413 without
reaching a route.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

HEALTH_PATH = "/api/health"
MAX_BODY = 8 * 1024 * 1024


class Guard:
    def __init__(
        self,
        app: Any,
        api_key: str | None,
        max_body: int = MAX_BODY,
        open_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode() if api_key else None
        self.max_body = max_body
        self.open_paths = open_paths | {HEALTH_PATH}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_open = scope["path"] in self.open_paths and scope["method"] in ("GET", "HEAD")
        if self.expected is not None and not is_open and not self._authorised(scope):
            await _reply(
                send,
                401,
                "Missing or wrong API key: send 'Authorization: Bearer <CADENZA_API_KEY>'",
                [(b"www-authenticate", b"Bearer")],
            )
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await _reply(send, 413, self._too_large())
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE") and not length:
            await self.app(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body:
                await _reply(send, 413, self._too_large())
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _authorised(self, scope: dict) -> bool:
        given = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                given = value
                break
        return hmac.compare_digest(given, self.expected)  # type: ignore[arg-type]  # ASGI headers are bytes

    def _too_large(self) -> str:
        return f"Request body too large: the limit is {self.max_body} bytes"


def _content_length(scope: dict) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reply(send: Any, status: int, detail: str, headers: list | None = None) -> None:
    body = json.dumps({"detail": detail, "errors": []}).encode()  # cadenza.server.errors' shape
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["HEALTH_PATH", "MAX_BODY", "Guard"]
