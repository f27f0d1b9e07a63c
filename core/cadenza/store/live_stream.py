"""Changes since a cursor, for the dashboard's live updates: the state changes of flow and task
runs (``run_states`` rows, read by `cadenza.store.event_stream.read_transitions`) and new log
lines, for a filter — one flow run (its own states, its task runs' and subflow runs', its log
lines) or the runs list's filters (the matching flow runs' states and, from a level up, their
log lines).

A `LiveCursor` is the last ``run_states.id`` and ``logs.id`` a reader has been given
(``"<state id>-<log id>"``); a page holds what follows it, state changes first, and every change
carries the cursor just after it, so a reader that resumes from the last one it got misses
nothing and is given nothing twice.

Both ids come from the database as rows are inserted, but on PostgreSQL rows commit in any
order: a row with a lower id may become visible after a higher one was read. A cursor therefore
only moves over ids it has seen settle: up to the first missing id, until every transaction that
was running when the gap was seen has ended (`Gaps`; then the id was rolled back or skipped
and never comes) or `GAP_WAIT` seconds have passed. On SQLite writers take turns, so every id
below the highest visible one is settled. The reads are bounded: at most `limit` ids per table
and `limit` changes per page.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from cadenza.store import event_stream
from cadenza.store.event_stream import FLOW_RUN, IS_FLOW, IS_TASK, StreamEvent
from cadenza.store.events import ID, NAME, ROLE
from cadenza.store.queries import log_item
from cadenza.store.tables import flow_runs, logs, run_states
from cadenza.store.ui_queries import RunFilter, run_conditions

GAP_WAIT = 10.0
"""Seconds a cursor waits at a missing id whose transaction it cannot tell has ended."""
_CURSOR = re.compile(r"^(\d{1,18})-(\d{1,18})$")


class LiveCursor(NamedTuple):
    """The last ``run_states.id`` and ``logs.id`` given to a reader."""

    state: int = 0
    log: int = 0

    def __str__(self) -> str:
        return f"{self.state}-{self.log}"

    @classmethod
    def parse(cls, text: str) -> LiveCursor:
        """A cursor from its text (``"<state id>-<log id>"``); `ValueError` otherwise."""
        match = _CURSOR.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                "a cursor is two non-negative integers joined by '-', as the stream gives it "
                "(e.g. '1200-35')"
            )
        return cls(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class LiveFilter:
    """Whose changes: one flow run (`flow_run_id`), else the flow runs `runs` matches; log lines
    at or above `log_level` (None: none)."""

    flow_run_id: str | None = None
    runs: RunFilter = field(default_factory=RunFilter)
    log_level: int | None = 0


@dataclass
class Gaps:
    """A reader's missing ids (PostgreSQL): per table, the first one and when it was seen —
    the snapshot's ``xmax`` then, and the monotonic time."""

    seen: dict[str, tuple[int, int, float]] = field(default_factory=dict)


def head(conn: sa.Connection) -> LiveCursor:
    """The cursor of the newest rows (a reader starting now)."""
    state = conn.execute(sa.select(sa.func.max(run_states.c.id))).scalar() or 0
    log = conn.execute(sa.select(sa.func.max(logs.c.id))).scalar() or 0
    return LiveCursor(int(state), int(log))


def read(
    conn: sa.Connection, where: LiveFilter, after: LiveCursor, limit: int, gaps: Gaps
) -> tuple[list[tuple[str, dict[str, Any], LiveCursor]], LiveCursor]:
    """The changes after `after`, each as ``(kind, data, cursor after it)`` with kind
    ``"state"`` or ``"log"``, and the cursor to read on from (module docstring)."""
    settled_state = _settled(conn, run_states.c.id, after.state, limit, gaps, "state")
    states = event_stream.read_transitions(
        conn, _state_conditions(conn, where), after.state, settled_state, limit
    )
    state = states[-1].position if len(states) == limit else settled_state
    out = [("state", state_change(e), LiveCursor(e.position, after.log)) for e in states]
    log = after.log
    if where.log_level is not None:
        settled_log = _settled(conn, logs.c.id, after.log, limit, gaps, "log")
        rows = conn.execute(
            sa.select(logs.c.id, logs.c.timestamp, logs.c.level, logs.c.logger,
                      logs.c.message, logs.c.task_run_id, logs.c.flow_run_id)
            .where(logs.c.id > after.log, logs.c.id <= settled_log,
                   *_log_conditions(conn, where))
            .order_by(logs.c.id)
            .limit(limit)
        ).all()  # fmt: skip
        log = rows[-1][0] if len(rows) == limit else settled_log
        for row in rows:
            item = log_item(tuple(row[:6]))
            item["flow_run_id"] = row[6]
            out.append(("log", item, LiveCursor(state, row[0])))
    return out, LiveCursor(state, log)


def state_change(event: StreamEvent) -> dict[str, Any]:
    """What a reader is told of one transition: which run (flow or task, and its flow run),
    its new state, and the event's name and id as the event stream gives them."""
    data = event.event
    kind = "flow-run" if data["event"].startswith(event_stream.FLOW) else "task-run"
    run_id = data["resource"][ID].split(".", 2)[2]
    flow_run_id = run_id if kind == "flow-run" else None
    for linked in data["related"]:
        if kind == "task-run" and linked.get(ROLE) == "flow-run":
            flow_run_id = linked[ID].split(".", 2)[2]
    return {"kind": kind, "run_id": run_id, "flow_run_id": flow_run_id,
            "name": data["resource"].get(NAME), "state": data["payload"]["validated_state"],
            "event": data["event"], "event_id": data["id"]}  # fmt: skip


def _state_conditions(conn: sa.Connection, where: LiveFilter) -> list[Any]:
    if where.flow_run_id is not None:
        run = where.flow_run_id
        return [sa.or_(
            sa.and_(IS_FLOW, run_states.c.run_id == run),
            sa.and_(IS_TASK, run_states.c.flow_run_id == run),
            sa.and_(IS_FLOW, FLOW_RUN.c.parent_flow_run_id == run),
        )]  # fmt: skip
    on_alias = ClauseAdapter(FLOW_RUN)
    return [IS_FLOW, *(on_alias.traverse(c) for c in run_conditions(conn, where.runs))]


def _log_conditions(conn: sa.Connection, where: LiveFilter) -> list[Any]:
    out: list[Any] = []
    if where.log_level:
        out.append(logs.c.level >= where.log_level)
    if where.flow_run_id is not None:
        out.append(logs.c.flow_run_id == where.flow_run_id)
        return out
    conditions = run_conditions(conn, where.runs)
    if conditions:
        matching = sa.select(flow_runs.c.id).where(flow_runs.c.id == logs.c.flow_run_id)
        out.append(matching.where(*conditions).exists())
    return out


def _settled(conn: sa.Connection, column: Any, after: int, limit: int, gaps: Gaps,
             kind: str) -> int:  # fmt: skip
    """The highest id of `column` a cursor at `after` may move to now (module docstring)."""
    if conn.dialect.name != "postgresql":
        return int(conn.execute(sa.select(sa.func.max(column))).scalar() or 0)
    xmin = conn.execute(sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")).scalar()
    ids = conn.execute(
        sa.select(column).where(column > after).order_by(column).limit(limit)
    ).scalars().all()  # fmt: skip
    xmax = conn.execute(sa.text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")).scalar()
    expected = after + 1
    for ident in ids:
        if ident != expected:
            noticed = gaps.seen.get(kind)
            if noticed is None or noticed[0] != expected:
                gaps.seen[kind] = (expected, int(xmax), time.monotonic())
                return expected - 1
            _, then, when = noticed
            if int(xmin) < then and time.monotonic() - when < GAP_WAIT:
                return expected - 1  # its transaction may still commit
            del gaps.seen[kind]  # ended (or long gone): the id never comes
        expected = ident + 1
    return expected - 1


__all__ = [
    "GAP_WAIT",
    "Gaps",
    "LiveCursor",
    "LiveFilter",
    "head",
    "read",
    "state_change",
]
