"""The dashboard's search of log lines across runs (`GET /api/logs`): SQLAlchemy Core, the same
on SQLite and PostgreSQL.

Newest first from an id cursor (the primary key: no OFFSET). A text search (``LIKE``, no index)
reads lines until the page is full, so a rare word costs a scan of the lines older than the
cursor; ``since``/``until`` filter on the line's timestamp, which has no index either (ids follow
arrival); ``flow_name`` keeps the lines of that flow's runs (``flow_run_id IN`` the ids the
``(flow_name, created, id)`` index gives). Lines are shaped by `cadenza.store.queries.log_item`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cadenza.store.queries import LOG_COLUMNS, log_item
from cadenza.store.tables import flow_runs, logs, task_runs
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
    flow_name: str | None = None
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
    if where.flow_name is not None:
        runs_of_flow = sa.select(flow_runs.c.id).where(flow_runs.c.flow_name == where.flow_name)
        out.append(logs.c.flow_run_id.in_(runs_of_flow))
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
    ``flow_run_id``, ``flow_run_name`` and ``task_run_name`` (null outside a task run);
    ``next_cursor`` is the `before` of the next page."""
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
    task_ids = sorted({row[5] for row in rows if row[5] is not None})
    task_names: dict[str, str] = {}
    if task_ids:
        query = sa.select(task_runs.c.id, task_runs.c.name).where(task_runs.c.id.in_(task_ids))
        task_names = {task_id: name for task_id, name in conn.execute(query)}
    items = [
        {
            **log_item(tuple(row[:6])),
            "flow_run_id": row[6],
            "flow_run_name": names.get(row[6]),
            "task_run_name": task_names.get(row[5]) if row[5] is not None else None,
        }
        for row in rows
    ]
    return {"items": items, "next_cursor": rows[-1][0] if more and rows else None}


__all__ = ["LogFilter", "log_conditions", "search_logs"]
