"""``GET /stream``: the dashboard's live updates as server-sent events (docs/reference/http-api.md).

The server polls the record every `POLL` seconds for what changed after the reader's cursor
(`cadenza.store.live_stream`) — so it works on SQLite and PostgreSQL and behind several server
processes, since any of them reads what any other wrote — and sends each change as an event whose
``id`` is the cursor just after it. A reader that reconnects with ``Last-Event-ID`` (or
``?cursor=``) resumes exactly there. Every `KEEPALIVE` seconds without a change, a comment and
the cursor (an ``id:`` line with no data: it moves the reader's resume point past rows that did
not match its filter) keep proxies from cutting an idle connection. Each poll reads at most
`PAGE` changes, and a stream ends after `LIFETIME` seconds (the reader reconnects from its
cursor), so one connection's work is bounded; streams end at once when the process is asked to
stop (`end_streams_on_exit`). Behind the API key guard like every route: the
dashboard reads it with ``fetch()`` and the ``Authorization`` header, never a key in the URL.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from cadenza._times import iso_times
from cadenza.server.errors import NOT_FOUND, Refused
from cadenza.server.query_params import SearchText
from cadenza.server.run_routes import RunRef
from cadenza.server.store import Store
from cadenza.server.ui_routes import Name, States, Tags, Time, resolve_run, run_filter
from cadenza.store import live_stream
from cadenza.store.live_stream import Gaps, LiveCursor, LiveFilter
from cadenza.store.sql import DatabaseBusy
from cadenza.store.ui_queries import run_conditions

POLL = 0.5
"""Seconds between two reads of the record for one stream."""
KEEPALIVE = 5.0
"""Seconds of silence after which a stream sends a keep-alive comment."""
PAGE = 500
"""Changes one read gives a stream at most."""
LIFETIME = 300.0
"""Seconds after which a stream ends (its reader reconnects from its cursor)."""
RETRY_MS = 2000


def end_streams_on_exit(closing: threading.Event) -> None:
    """Set `closing` when the process is asked to stop (SIGINT, SIGTERM), before the handler
    in place (uvicorn's, when called from the app's startup). A graceful shutdown waits for
    every open response to end, and a stream would otherwise end only after `LIFETIME`."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals are the main thread's (an app run in a test client's thread)
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(number: int, frame: Any, previous: Any = previous) -> None:
            closing.set()
            previous(number, frame)

        signal.signal(sig, handler)


def router(store: Store, closing: threading.Event) -> APIRouter:
    api = APIRouter()

    @api.get(
        "/stream",
        responses={**NOT_FOUND, 200: {"content": {"text/event-stream": {}}}},
        response_class=StreamingResponse,
    )
    def stream(
        flow_run_id: Annotated[RunRef | None, Query(description="one flow run's changes")] = None,
        log_level: Annotated[
            int | None, Query(ge=0, le=2**31 - 1, description="log lines from this level")
        ] = 0,
        logs: Annotated[bool, Query(description="send log lines")] = True,
        state: States = [],  # noqa: B006
        flow_name: Name = None,
        deployment: Annotated[str | None, Query(max_length=1_000)] = None,
        tag: Tags = [],  # noqa: B006
        since: Time = None,
        until: Time = None,
        q: SearchText = None,
        cursor: Annotated[str | None, Query(max_length=40, description="resume after")] = None,
        last_event_id: Annotated[str | None, Header(max_length=40)] = None,
    ) -> StreamingResponse:
        """State changes of flow and task runs and new log lines as server-sent events, from
        the cursor given (``Last-Event-ID`` or `cursor`) or from now."""
        where = LiveFilter(
            flow_run_id=None,
            runs=run_filter(state, flow_name, deployment, tag, since, until, q),
            log_level=log_level if logs else None,
        )
        given = last_event_id or cursor
        after = None
        if given:
            try:
                after = LiveCursor.parse(given)
            except ValueError as exc:
                where_ = "header" if last_event_id else "query"
                field = "last-event-id" if last_event_id else "cursor"
                raise Refused([((where_, field), str(exc))]) from None
        with store.read() as conn:
            if flow_run_id is not None:
                where = LiveFilter(flow_run_id=resolve_run(conn, flow_run_id),
                                   log_level=where.log_level)  # fmt: skip
            else:
                run_conditions(conn, where.runs)  # an unknown deployment is a 404 now
            start = after if after is not None else live_stream.head(conn)
        return StreamingResponse(
            _events(store, where, start, closing),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return api


def _read(store: Store, where: LiveFilter, after: LiveCursor, gaps: Gaps) -> Any:
    with store.read() as conn:
        return live_stream.read(conn, where, after, PAGE, gaps)


async def _events(store: Store, where: LiveFilter, cursor: LiveCursor,
                  closing: threading.Event) -> AsyncIterator[str]:  # fmt: skip
    gaps = Gaps()
    yield f"retry: {RETRY_MS}\nevent: ready\nid: {cursor}\ndata: {json.dumps(str(cursor))}\n\n"
    said = time.monotonic()
    end = said + LIFETIME
    while time.monotonic() < end and not closing.is_set():
        try:
            changes, reached = await run_in_threadpool(_read, store, where, cursor, gaps)
        except DatabaseBusy:  # locked for now: the reader sees silence, then the changes
            changes, reached = [], cursor
        if changes:
            yield "".join(
                f"event: {kind}\nid: {after}\ndata: {json.dumps(iso_times(data), default=str)}\n\n"
                for kind, data, after in changes
            )
            said = time.monotonic()
        elif time.monotonic() - said >= KEEPALIVE:
            yield f": keep-alive\nid: {reached}\n\n"
            said = time.monotonic()
        cursor = reached
        if len(changes) < PAGE:
            await asyncio.sleep(POLL)


__all__ = ["KEEPALIVE", "LIFETIME", "PAGE", "POLL", "end_streams_on_exit", "router"]
