"""The dashboard's search of log lines across runs (`GET /api/logs`): SQLAlchemy Core, the same
on SQLite and PostgreSQL.

Newest first from an id cursor (the primary key: no OFFSET). A text search (``LIKE``, no index)
reads lines until the page is full, so a rare word costs a scan of the lines older than the
cursor; ``since``/``until`` filter on the line's timestamp, which has no index either (ids follow
arrival). Lines are shaped by `cadenza.store.queries.log_item`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cadenza.store.queries import LOG_COLUMNS, log_item
from cadenza.store.tables import flow_runs, logs
from cadenza.store.ui_queries import contains_ci

_LOG = [logs.c[name.strip()] for name in LOG_COLUMNS.split(",")]


@dataclass(frozen=True)
class LogFilter:
    """Which log lines: every criterion given must hold."""

    q: str | None = None
    level: int | None = None
    flow_run_id: str | None = None
    task_run_id: str | None = None
    logger: str | None = None
    since: float | None = None
    until: float | None = None


def log_conditions(where: LogFilter) -> list[Any]:
    out: list[Any] = []
    if where.flow_run_id is not None:
        out.append(logs.c.flow_run_id == where.flow_run_id)
    if where.task_run_id is not None:
        out.append(logs.c.task_run_id == where.task_run_id)
    if where.level is not None:
        out.append(logs.c.level >= where.level)
    if where.logger is not None:
        out.append(logs.c.logger == where.logger)
    if where.since is not None:
        out.append(logs.c.timestamp >= where.since)
    if where.until is not None:
        out.append(logs.c.timestamp < where.until)
    if where.q:
        out.append(contains_ci(logs.c.message, where.q))
    return out


def search_logs(
    conn: sa.Connection, where: LogFilter, *, limit: int = 200, before: int | None = None
) -> dict[str, Any]:
    """Log lines of any run, newest first, with an id below `before` (when given), each with its
    ``flow_run_id`` and ``flow_run_name``; ``next_cursor`` is the `before` of the next page."""
    query = sa.select(*_LOG, logs.c.flow_run_id).where(*log_conditions(where))
    if before is not None:
        query = query.where(logs.c.id < before)
    rows = conn.execute(query.order_by(logs.c.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    run_ids = sorted({row[6] for row in rows if row[6] is not None})
    names: dict[str, str] = {}
    if run_ids:
        query = sa.select(flow_runs.c.id, flow_runs.c.name).where(flow_runs.c.id.in_(run_ids))
        names = {run_id: name for run_id, name in conn.execute(query)}
    items = [
        {**log_item(tuple(row[:6])), "flow_run_id": row[6], "flow_run_name": names.get(row[6])}
        for row in rows
    ]
    return {"items": items, "next_cursor": rows[-1][0] if more and rows else None}


__all__ = ["LogFilter", "log_conditions", "search_logs"]
