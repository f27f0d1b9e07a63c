"""The dashboard's read routes (docs/reference/http-api.md), over `cadenza.store.ui_queries`.

``GET /flow_runs/page`` (keyset pages of flow runs, a capped count), ``GET /flow_runs/history``
(runs over time by state), ``GET /flow_runs/{ref}/timeline`` (a run's task runs as columns, in
lanes) and ``GET /logs`` (log lines of every run, newest first). Public routes like any other:
whatever the dashboard shows, a script can read. Bad input — a cursor this server did not write,
an unknown state, a time that is no time, NUL in a search — is a 422 in the one error shape.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from cadenza._times import iso
from cadenza.server import reads
from cadenza.server.errors import NOT_FOUND, Refused
from cadenza.server.query_params import SearchText, moment, text, texts
from cadenza.server.query_params import unstorable as _unstorable
from cadenza.server.run_routes import RunRef, state_type
from cadenza.server.store import Store
from cadenza.store import ui_log_queries, ui_queries
from cadenza.store.ui_log_queries import LogFilter
from cadenza.store.ui_queries import RunFilter

MAX_RUNS_PAGE = 500
MAX_LOGS_PAGE = 1_000
MAX_BUCKETS = 200
DAY = 24 * 3600.0

States = Annotated[list[str], Query(description="state types, e.g. FAILED (any of them)")]
Tags = Annotated[list[str], Query(description="tags a run must all carry")]
Time = Annotated[str | None, Query(description="epoch seconds or ISO 8601")]
Name = Annotated[str | None, Query(max_length=1_000)]


def router(store: Store) -> APIRouter:
    api = APIRouter()

    @api.get("/flow_runs/page", responses=NOT_FOUND)
    def flow_runs_page(
        limit: Annotated[int, Query(ge=1, le=MAX_RUNS_PAGE)] = 50,
        cursor: Annotated[str | None, Query(max_length=2_000)] = None,
        state: States = [],  # noqa: B006
        flow_name: Name = None,
        deployment: Annotated[
            str | None, Query(max_length=1_000, description="id or flow/name")
        ] = None,
        tag: Tags = [],  # noqa: B006
        since: Time = None,
        until: Time = None,
        q: SearchText = None,
        sort: Literal["created_desc", "created_asc"] = "created_desc",
    ) -> dict[str, Any]:
        """A page of flow runs, newest (or oldest) created first, and a count of the matches
        capped at 10,000; ``next_cursor`` (null on the last page) reads the next one."""
        where = run_filter(state, flow_name, deployment, tag, since, until, q)
        text("cursor", cursor)
        with store.read() as conn:
            try:
                return ui_queries.flow_runs_page(  # an empty cursor: the first page
                    conn, where, limit=limit, cursor=cursor or None, ascending=sort == "created_asc"
                )
            except ui_queries.BadCursor as exc:
                raise Refused([(("query", "cursor"), str(exc))]) from None

    @api.get("/flow_runs/history", responses=NOT_FOUND)
    def flow_run_history(
        since: Time = None,
        until: Time = None,
        buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS)] = 48,
        state: States = [],  # noqa: B006
        flow_name: Name = None,
        deployment: Annotated[str | None, Query(max_length=1_000)] = None,
        tag: Tags = [],  # noqa: B006
        q: SearchText = None,
    ) -> dict[str, Any]:
        """Flow runs created in ``[since, until)`` (default: the last 24 hours) counted by state
        in equal time buckets."""
        where = run_filter(state, flow_name, deployment, tag, None, None, q)
        end = moment("until", until)
        start = moment("since", since)
        end = time.time() if end is None else end
        start = end - DAY if start is None else start
        if end <= start:
            raise Refused([(("query", "until"), "must be after since")])
        with store.read() as conn:
            found = ui_queries.flow_run_history(conn, where, since=start, until=end,
                                                buckets=buckets)  # fmt: skip
        # the window's times as every other time of the API: ISO 8601 UTC (cadenza.server.times)
        return {**found, "since": iso(found["since"]), "until": iso(found["until"]),
                "buckets": [{**b, "start": iso(b["start"])} for b in found["buckets"]]}  # fmt: skip

    @api.get("/flow_runs/{ref}/timeline", responses=NOT_FOUND)
    def flow_run_timeline(ref: RunRef) -> dict[str, Any]:
        """The run's task runs as columns sorted by start, each in a lane (``row``) where its
        bar overlaps no other."""
        with store.read() as conn:
            return ui_queries.timeline(conn, resolve_run(conn, ref))

    @api.get("/logs")
    def search_logs(
        q: SearchText = None,
        level: Annotated[int | None, Query(ge=0, le=2**31 - 1, description="minimum level")] = None,
        flow_run_id: Name = None,
        task_run_id: Name = None,
        logger: Name = None,
        flow_name: Name = None,
        since: Time = None,
        until: Time = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LOGS_PAGE)] = 200,
        before: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="a log id")] = None,
    ) -> dict[str, Any]:
        """Log lines of every run, newest first, with an id below `before`."""
        where = LogFilter(
            q=text("q", q),
            level=level,
            flow_run_id=text("flow_run_id", flow_run_id),
            task_run_id=text("task_run_id", task_run_id),
            logger=text("logger", logger),
            flow_name=text("flow_name", flow_name),
            since=moment("since", since),
            until=moment("until", until),
        )
        with store.read() as conn:
            return ui_log_queries.search_logs(conn, where, limit=limit, before=before)

    return api


def run_filter(
    state: list[str],
    flow_name: str | None,
    deployment: str | None,
    tag: list[str],
    since: str | None,
    until: str | None,
    q: str | None,
) -> RunFilter:
    states = [state_type(s) for s in texts("state", state)]
    return RunFilter(
        states=[s for s in states if s is not None],
        flow_name=text("flow_name", flow_name),
        deployment=text("deployment", deployment),
        tags=texts("tag", tag),
        since=moment("since", since),
        until=moment("until", until),
        q=text("q", q),
    )


def resolve_run(conn: Any, ref: str) -> str:
    """The full id of flow run `ref` as the other routes resolve it (on SQLite, a unique suffix
    too); LookupError if none."""
    if _unstorable(ref):
        raise LookupError("No flow run with this id")
    raw = conn.connection.driver_connection
    return reads.resolve_flow_run_id(raw if isinstance(raw, sqlite3.Connection) else conn, ref)


__all__ = ["MAX_BUCKETS", "MAX_LOGS_PAGE", "MAX_RUNS_PAGE", "resolve_run", "router"]
