"""The dashboard's reads over the run record: SQLAlchemy Core, the same on SQLite and PostgreSQL.

Each read is bounded whatever the size of the record:

- `flow_runs_page`: keyset pagination on ``(created, id)`` — a page starts after the cursor's
  row with ``(created, id) < (c, i)`` (``>`` ascending), never an OFFSET — and a match count
  capped at `MAX_TOTAL` (a ``LIMIT`` subquery, never an unbounded COUNT). Warning and error
  counts are read off the rows (``warning_count``, ``error_count``: kept by the writers as log
  lines are stored), so a page costs the same however much its runs logged.
- `flow_run_history`: one ``GROUP BY`` bucket and state over a bounded window of ``created``.
- `timeline`: one query over a flow run's task runs (index ``(flow_run_id, created)``), lanes
  packed here.
- `cadenza.store.ui_log_queries.search_logs`: log lines of every run, newest first.

A tag filter matches the JSON-encoded tag inside the ``tags`` JSON text (``instr`` / ``strpos``,
case-sensitive, no wildcards to escape): it cannot use an index, so it costs a scan of the rows the
other filters leave.

Rows are shaped by `cadenza.store.queries` (`flow_run_item`, `log_item`), as every other read.
"""

from __future__ import annotations

import base64
import heapq
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cadenza.store.queries import FLOW_COLUMNS, flow_run_item, iso
from cadenza.store.tables import deployments, flow_runs, task_runs

MAX_TOTAL = 10_000
"""Matches `flow_runs_page` counts at most (then ``total_capped``)."""
MAX_TIMELINE = 100_000
"""Task runs `timeline` answers at most (then ``truncated``)."""
PREVIEW = 120
"""Characters of a run's parameters JSON in ``parameters_preview``."""

_FLOW = [flow_runs.c[name.strip()] for name in FLOW_COLUMNS.split(",")]
_COUNTS = (flow_runs.c.warning_count, flow_runs.c.error_count)  # after _FLOW in a page's rows


class BadCursor(ValueError):
    """A cursor this module did not write (or one altered since)."""


@dataclass(frozen=True)
class RunFilter:
    """Which flow runs: every criterion given must hold (`states`: any of them; `tags`: all)."""

    states: Sequence[str] = ()
    flow_name: str | None = None
    deployment: str | None = None
    tags: Sequence[str] = ()
    since: float | None = None
    until: float | None = None
    q: str | None = None


def encode_cursor(created: float, run_id: str) -> str:
    raw = json.dumps([created, run_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """``(created, id)`` of a cursor of `encode_cursor`; `BadCursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, run_id = json.loads(raw.decode())
    except (ValueError, TypeError, UnicodeError):
        raise BadCursor("not a cursor of this server") from None
    if not isinstance(created, (int, float)) or isinstance(created, bool):
        raise BadCursor("not a cursor of this server")
    if not math.isfinite(created) or not isinstance(run_id, str):
        raise BadCursor("not a cursor of this server")
    try:
        run_id.encode()
    except UnicodeEncodeError:  # a lone surrogate
        raise BadCursor("not a cursor of this server") from None
    return float(created), run_id


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_ci(column: Any, text: str) -> Any:
    """Case-insensitive substring (``lower(col) LIKE lower(?)``; SQLite lowers ASCII only)."""
    return sa.func.lower(column).like(sa.func.lower(f"%{_like_escape(text)}%"), escape="\\")


def _substring(conn: sa.Connection, column: Any, text: str) -> Any:
    """`text` occurs in `column`, exactly (case-sensitive, no wildcards)."""
    if conn.dialect.name == "postgresql":
        return sa.func.strpos(column, text) > 0
    return sa.func.instr(column, text) > 0


def deployment_id(conn: sa.Connection, ref: str) -> str:
    """The id a deployment ``ref`` names (an id is taken as given: the runs of a deleted one keep
    it); LookupError for a ``flow/name`` no deployment has."""
    flow_name, sep, name = ref.partition("/")
    if not (sep and flow_name and name):
        return ref
    found = conn.execute(
        sa.select(deployments.c.id).where(
            deployments.c.flow_name == flow_name, deployments.c.name == name
        )
    ).scalar()
    if found is None:
        raise LookupError(f"No deployment named {ref!r}")
    return found


def run_conditions(conn: sa.Connection, where: RunFilter) -> list[Any]:
    """The WHERE conditions of `where` over ``flow_runs``."""
    out: list[Any] = []
    if where.states:
        out.append(flow_runs.c.state_type.in_(list(where.states)))
    if where.flow_name is not None:
        out.append(flow_runs.c.flow_name == where.flow_name)
    if where.deployment is not None:
        out.append(flow_runs.c.deployment_id == deployment_id(conn, where.deployment))
    for tag in where.tags:  # tags is a JSON array of strings: the encoded element, quotes and all
        out.append(_substring(conn, flow_runs.c.tags, json.dumps(tag)))
    if where.since is not None:
        out.append(flow_runs.c.created >= where.since)
    if where.until is not None:
        out.append(flow_runs.c.created < where.until)
    if where.q:
        out.append(
            sa.or_(
                contains_ci(flow_runs.c.name, where.q),
                contains_ci(flow_runs.c.flow_name, where.q),
            )
        )
    return out


def flow_runs_page(
    conn: sa.Connection,
    where: RunFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    ascending: bool = False,
) -> dict[str, Any]:
    """One page of flow runs newest (or, `ascending`, oldest) first, after `cursor`.

    `BadCursor` for a cursor not written here; LookupError for an unknown deployment name.
    """
    conditions = run_conditions(conn, where)
    key = sa.tuple_(flow_runs.c.created, flow_runs.c.id)
    query = sa.select(*_FLOW, *_COUNTS).where(*conditions)
    if cursor is not None:
        after = sa.tuple_(*(sa.literal(v) for v in decode_cursor(cursor)))
        query = query.where(key > after if ascending else key < after)
    if ascending:
        query = query.order_by(flow_runs.c.created, flow_runs.c.id)
    else:
        query = query.order_by(flow_runs.c.created.desc(), flow_runs.c.id.desc())
    rows = conn.execute(query.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    matches = sa.select(sa.literal(1)).select_from(flow_runs).where(*conditions)
    matches = matches.limit(MAX_TOTAL + 1).subquery()
    total = conn.execute(sa.select(sa.func.count()).select_from(matches)).scalar_one()
    items = _run_items(conn, rows)
    last = rows[-1] if rows else None
    return {
        "items": items,
        "next_cursor": encode_cursor(last[10], last[0]) if more and last else None,
        "total": min(total, MAX_TOTAL),
        "total_capped": total > MAX_TOTAL,
    }


def _run_items(conn: sa.Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """`flow_run_item` of each row plus the dashboard's fields (one more query for the
    deployments' names)."""
    deployment_ids = sorted({row[16] for row in rows if row[16] is not None})
    names: dict[str, str] = {}
    if deployment_ids:
        for dep_id, flow_name, name in conn.execute(
            sa.select(deployments.c.id, deployments.c.flow_name, deployments.c.name).where(
                deployments.c.id.in_(deployment_ids)
            )
        ):
            names[dep_id] = f"{flow_name}/{name}"
    items = []
    for row in rows:
        item = flow_run_item(tuple(row[: len(_FLOW)]))
        parameters = row[5] or "{}"
        warnings, errors = row[len(_FLOW) :]
        item.update(
            duration=item["duration_seconds"],
            deployment_name=names.get(row[16]) if row[16] is not None else None,
            parameters_preview=parameters
            if len(parameters) <= PREVIEW
            else parameters[: PREVIEW - 1] + "…",
            warning_count=warnings,
            error_count=errors,
        )
        items.append(item)
    return items


def timeline(conn: sa.Connection, run_id: str) -> dict[str, Any]:
    """The task runs of flow run `run_id` as columns, sorted by start (never started: last),
    each in a lane where it overlaps no other. LookupError for an unknown run.

    The database sorts (so `MAX_TIMELINE` keeps the first by start) and the rows come back as
    plain tuples from the driver's cursor, turned into columns with one ``zip``: a 50,000-task
    run is answered in well under half a second (benchmarks/dashboard_queries.py)."""
    run = conn.execute(
        sa.select(
            flow_runs.c.id,
            flow_runs.c.start_time,
            flow_runs.c.end_time,
            flow_runs.c.state_type,
            flow_runs.c.created,
        ).where(flow_runs.c.id == run_id)
    ).first()
    if run is None:
        raise LookupError(f"No flow run with id {run_id!r}")
    t = task_runs.c
    query = (
        sa.select(
            t.id,
            t.name,
            t.task_name,
            t.start_time,
            t.end_time,
            t.state_type,
            t.state_name,
            t.run_count,
        )
        .where(t.flow_run_id == run_id)
        .order_by(t.start_time.is_(None), t.start_time, t.created, t.id)
        .limit(MAX_TIMELINE + 1)
    )
    rows = _plain_rows(conn, query)
    truncated = len(rows) > MAX_TIMELINE
    del rows[MAX_TIMELINE:]
    origin = run[1] if run[1] is not None else run[4]
    ids, names, task_names, starts, ends, states, state_names, run_counts = (
        [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(8)]
    )
    return {
        "flow_run": {
            "id": run[0],
            "start_time": iso(run[1]),
            "end_time": iso(run[2]),
            "state_type": run[3],
        },
        "count": len(rows),
        "truncated": truncated,
        "names": names,
        "task_names": task_names,
        "ids": ids,
        "start": [None if s is None else round(s - origin, 6) for s in starts],
        "end": [None if e is None else round(e - origin, 6) for e in ends],
        "state": states,
        "state_name": state_names,
        "run_count": run_counts,
        "row": pack_lanes(list(zip(starts, ends, strict=True))),
        "cached": [name == "Cached" for name in state_names],
    }


def _plain_rows(conn: sa.Connection, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """`query`'s rows as the driver returns them (tuples), skipping SQLAlchemy's row objects:
    for the reads that return tens of thousands of rows, that wrapping costs more than the
    query itself. The query runs on `conn`'s own DBAPI connection, in its transaction."""
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.params
    args: Any = (
        tuple(params[k] for k in compiled.positiontup or ()) if compiled.positional else params
    )
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def pack_lanes(spans: Sequence[tuple[float | None, float | None]]) -> list[int | None]:
    """The lane of each span, in the order given (sorted by start, unstarted last): the first
    lane whose last span ended at or before this one starts. A span with no end (still running)
    keeps its lane; one with no start (never ran) gets none."""
    busy: list[tuple[float, int]] = []  # (end, lane) of the lanes in use
    free: list[int] = []  # lanes whose last span has ended, by index
    lanes: list[int | None] = []
    append, push, pop, inf = lanes.append, heapq.heappush, heapq.heappop, math.inf
    count = 0
    for start, end in spans:
        if start is None:
            append(None)
            continue
        while busy and busy[0][0] <= start:
            push(free, pop(busy)[1])
        if free:
            lane = pop(free)
        else:
            lane, count = count, count + 1
        push(busy, (inf if end is None else end if end > start else start, lane))
        append(lane)
    return lanes


def _bucket(conn: sa.Connection, since: float, seconds: float) -> Any:
    offset = (flow_runs.c.created - since) / seconds
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(offset), sa.Integer)
    return sa.cast(offset, sa.Integer)  # created >= since: truncation is floor


def flow_run_history(
    conn: sa.Connection, where: RunFilter, *, since: float, until: float, buckets: int
) -> dict[str, Any]:
    """Flow runs created in ``[since, until)`` counted by state type in `buckets` equal time
    buckets (runs with no state yet are not counted)."""
    seconds = (until - since) / buckets
    bucket = _bucket(conn, since, seconds).label("bucket")
    window = RunFilter(**{**where.__dict__, "since": since, "until": until})
    query = (
        sa.select(bucket, flow_runs.c.state_type, sa.func.count())
        .where(*run_conditions(conn, window), flow_runs.c.state_type.is_not(None))
        .group_by(bucket, flow_runs.c.state_type)
    )
    counts: list[dict[str, int]] = [{} for _ in range(buckets)]
    for index, state, n in conn.execute(query):
        counts[min(max(int(index), 0), buckets - 1)][state] = int(n)
    return {
        "since": since,
        "until": until,
        "bucket_seconds": seconds,
        "buckets": [
            {"start": since + i * seconds, "counts": dict(sorted(c.items()))}
            for i, c in enumerate(counts)
        ],
    }


__all__ = [
    "MAX_TIMELINE",
    "MAX_TOTAL",
    "BadCursor",
    "RunFilter",
    "contains_ci",
    "decode_cursor",
    "deployment_id",
    "encode_cursor",
    "flow_run_history",
    "flow_runs_page",
    "pack_lanes",
    "run_conditions",
    "timeline",
]
