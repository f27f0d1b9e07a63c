"""The record's one event stream: the ``run_states`` rows (read as state-change events) and the
``events`` table, filtered and read page by page with a cursor that covers both.

A transition of a flow run is ``cadenza.flow-run.<state name>`` (of a task run,
``cadenza.task-run.<state name>``), as Prefect 3 names them; its resource is the run (labels from
the run's row), its related resources the flow, the deployment, the work pool, the parent flow
run and the tags. Its id is ``rs-<run_states.id>``.

A `Cursor` is the high-water mark of each table: (last ``run_states.id``, last ``events.seq``).
Read forward from one, a page holds the events after it in order of occurrence and gives the
cursor to read on from; read without one, a page holds the newest events, newest first, and
gives the cursor of the stream's head (to follow it from there). Filters are applied in SQL
(event name prefixes, resource ids, related resources, time range); labels that SQL can only
approximate (tags in a JSON list) are checked again on the events themselves.
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa

from cadenza.store.events import ID, NAME, related, resource
from cadenza.store.tables import deployments, events, flow_runs, run_states, task_runs

FLOW = "cadenza.flow-run."
TASK = "cadenza.task-run."
_CURSOR = re.compile(r"^(\d{1,18})-(\d{1,18})$")
MESSAGE_LIMIT = 10_000
"""Characters of a state message an event carries."""


class Cursor(NamedTuple):
    """The last ``run_states.id`` and ``events.seq`` a reader has seen."""

    state: int = 0
    event: int = 0

    def __str__(self) -> str:
        return f"{self.state}-{self.event}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """A cursor from its text (``"<state id>-<event seq>"``); `ValueError` otherwise."""
        match = _CURSOR.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                "a cursor is two non-negative integers joined by '-', as a page of events "
                "gives it (e.g. '1200-35')"
            )
        return cls(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class EventFilter:
    """Which events to read; each given criterion must hold (an empty one always does)."""

    prefixes: Sequence[str] = ()  # event names starting with any of these
    resources: Sequence[str] = ()  # the primary resource's id (or a bare run id) is one of these
    related: Sequence[str] = ()  # some related resource's id is one of these
    since: float | None = None  # occurred >= since
    until: float | None = None  # occurred < until


@dataclass(frozen=True)
class StreamEvent:
    """One event of the stream and where it is: its table and row position."""

    source: str  # "state" or "event"
    position: int
    event: dict[str, Any]

    @property
    def occurred(self) -> float:
        return float(self.event["occurred"])


def head(conn: sa.Connection) -> Cursor:
    """The cursor of the stream's newest rows."""
    state = conn.execute(sa.select(sa.func.max(run_states.c.id))).scalar() or 0
    event = conn.execute(sa.select(sa.func.max(events.c.seq))).scalar() or 0
    return Cursor(int(state), int(event))


def read(
    conn: sa.Connection,
    where: EventFilter,
    limit: int,
    after: Cursor | None = None,
    upto: Cursor | None = None,
) -> tuple[list[StreamEvent], Cursor]:
    """A page of at most `limit` events and the cursor to read on from (module docstring).

    With `after`, the events after it (up to `upto`, default the head) oldest first; without,
    the newest events newest first and the head's cursor.
    """
    top = upto or head(conn)
    forward = after is not None
    start = after or Cursor()
    states = _state_rows(conn, where, start.state, top.state, limit, forward)
    others = _event_rows(conn, where, start.event, top.event, limit, forward)
    # a merge keeps each table's rows in their order, so what a page keeps of each is a prefix
    merged = list(itertools.islice(
        heapq.merge(states, others, key=lambda e: e.occurred, reverse=not forward), limit
    ))  # fmt: skip
    page = [e for e in merged if _matches(e.event, where)]
    if not forward:
        return page, top
    kept = sum(1 for e in merged if e.source == "state")
    cursor = Cursor(
        _advanced(start.state, top.state, states, kept, limit),
        _advanced(start.event, top.event, others, len(merged) - kept, limit),
    )
    return page, cursor


def _advanced(start: int, top: int, rows: list[StreamEvent], kept: int, limit: int) -> int:
    """How far a forward page read one table: to the top when it kept every row it read and
    the table had no more, else to the last row kept."""
    if kept == len(rows) and len(rows) < limit:
        return top
    return rows[kept - 1].position if kept else start


# -- transitions ----------------------------------------------------------------------------------

_fr = flow_runs.alias("fr")
_tr = task_runs.alias("tr")
_dep = deployments.alias("dep")
_is_flow = run_states.c.run_id == run_states.c.flow_run_id
_is_task = sa.or_(
    run_states.c.flow_run_id.is_(None), run_states.c.run_id != run_states.c.flow_run_id
)
_COLUMNS = (
    run_states.c.id, run_states.c.run_id, run_states.c.flow_run_id, run_states.c.type,
    run_states.c.name, sa.func.substr(run_states.c.message, 1, MESSAGE_LIMIT).label("message"),
    run_states.c.timestamp, _fr.c.name.label("fr_name"), _fr.c.flow_name,
    _fr.c.tags.label("fr_tags"), _fr.c.deployment_id, _fr.c.work_pool_name,
    _fr.c.parent_flow_run_id, _fr.c.run_count, _tr.c.name.label("tr_name"), _tr.c.task_name,
    _tr.c.tags.label("tr_tags"), _tr.c.run_count.label("tr_run_count"),
    _dep.c.name.label("dep_name"),
)  # fmt: skip
_JOINED = (
    run_states.outerjoin(_fr, _fr.c.id == run_states.c.flow_run_id)
    .outerjoin(_tr, sa.and_(_tr.c.id == run_states.c.run_id, _is_task))
    .outerjoin(_dep, _dep.c.id == _fr.c.deployment_id)
)


def _state_rows(conn: sa.Connection, where: EventFilter, low: int, high: int, limit: int,
                forward: bool) -> list[StreamEvent]:  # fmt: skip
    conditions = _state_conditions(where)
    if conditions is None:
        return []
    query = (
        sa.select(*_COLUMNS)
        .select_from(_JOINED)
        .where(run_states.c.id > low, run_states.c.id <= high, *conditions)
    )
    order = run_states.c.id if forward else run_states.c.id.desc()
    rows = conn.execute(query.order_by(order).limit(limit))
    return [StreamEvent("state", row.id, transition_event(row)) for row in rows]


FLOW_RUN = _fr
"""The flow run a transition belongs to, as joined by `read_transitions` (its columns may be
used in conditions)."""
IS_FLOW = _is_flow
"""A condition of `read_transitions`: the transition is a flow run's."""
IS_TASK = _is_task
"""A condition of `read_transitions`: the transition is a task run's."""


def read_transitions(conn: sa.Connection, conditions: Sequence[Any], after: int, upto: int,
                     limit: int) -> list[StreamEvent]:  # fmt: skip
    """The transitions with ``run_states.id`` in ``(after, upto]`` that meet `conditions` (over
    ``run_states``, `FLOW_RUN`, `IS_FLOW`, `IS_TASK`), oldest first, at most `limit`: the
    stream's reading of transitions for readers with conditions of their own."""
    query = (
        sa.select(*_COLUMNS)
        .select_from(_JOINED)
        .where(run_states.c.id > after, run_states.c.id <= upto, *conditions)
    )
    rows = conn.execute(query.order_by(run_states.c.id).limit(limit))
    return [StreamEvent("state", row.id, transition_event(row)) for row in rows]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _name_condition(prefix: str) -> Any:
    """Which transitions an event name prefix selects: a SQL condition, or None for none."""
    options = []
    for kind, is_kind in ((FLOW, _is_flow), (TASK, _is_task)):
        if kind.startswith(prefix):
            options.append(is_kind)
        elif prefix.startswith(kind):
            rest = prefix[len(kind) :]
            options.append(
                sa.and_(is_kind, run_states.c.name.like(_like_prefix(rest), escape="\\"))
            )
    return sa.or_(*options) if options else None


def _resource_condition(ident: str) -> Any:
    for kind, is_kind in ((FLOW, _is_flow), (TASK, _is_task)):
        if ident.startswith(kind):
            return sa.and_(is_kind, run_states.c.run_id == ident[len(kind) :])
    if ident.startswith("cadenza."):
        return None
    return run_states.c.run_id == ident  # a bare run id


def _related_condition(ident: str) -> Any:
    kind, _, value = ident.removeprefix("cadenza.").partition(".")
    if not ident.startswith("cadenza.") or not value:
        return None
    if kind == "deployment":
        return _fr.c.deployment_id == value
    if kind == "flow":
        return _fr.c.flow_name == value
    if kind == "work-pool":
        return _fr.c.work_pool_name == value
    if kind == "flow-run":
        return sa.or_(sa.and_(_is_task, run_states.c.flow_run_id == value),
                      _fr.c.parent_flow_run_id == value)  # fmt: skip
    if kind == "tag":
        pattern = "%" + _like_prefix(json.dumps(value))[:-1] + "%"
        return sa.or_(_fr.c.tags.like(pattern, escape="\\"), _tr.c.tags.like(pattern, escape="\\"))
    return None


def _any_of(values: Sequence[str], make: Any) -> Any:
    """OR of `make(v)` over `values` (None: nothing matches; True: no criterion)."""
    if not values:
        return sa.true()
    options = [c for c in (make(v) for v in values) if c is not None]
    return sa.or_(*options) if options else None


def _state_conditions(where: EventFilter) -> list[Any] | None:
    conditions = [
        _any_of(where.prefixes, _name_condition),
        _any_of(where.resources, _resource_condition),
        _any_of(where.related, _related_condition),
    ]
    if any(c is None for c in conditions):
        return None
    if where.since is not None:
        conditions.append(run_states.c.timestamp >= where.since)
    if where.until is not None:
        conditions.append(run_states.c.timestamp < where.until)
    return conditions


def transition_event(row: Any) -> dict[str, Any]:
    """The event of one ``run_states`` row joined with its run (see the module docstring)."""
    is_flow = row.flow_run_id is not None and row.run_id == row.flow_run_id
    kind = "flow-run" if is_flow else "task-run"
    name = row.fr_name if is_flow else row.tr_name
    run_count = row.run_count if is_flow else row.tr_run_count
    labels = resource(kind, row.run_id, name, state_type=row.type, state_name=row.name,
                      run_count=run_count)  # fmt: skip
    if row.message is not None:
        labels["cadenza.state-message"] = row.message
    links = []
    if row.flow_name is not None:
        links.append(related("flow", row.flow_name, row.flow_name))
    if not is_flow and row.flow_run_id is not None:
        links.append(related("flow-run", row.flow_run_id, row.fr_name))
    if is_flow and row.parent_flow_run_id is not None:
        links.append(related("flow-run", row.parent_flow_run_id, None, role="parent-flow-run"))
    if row.deployment_id is not None:
        links.append(related("deployment", row.deployment_id, row.dep_name))
    if row.work_pool_name is not None:
        links.append(related("work-pool", row.work_pool_name, row.work_pool_name))
    for tag in json.loads((row.fr_tags if is_flow else row.tr_tags) or "[]"):
        links.append(related("tag", tag, tag))
    if not is_flow and row.task_name is not None:
        labels["cadenza.task-name"] = row.task_name
    state = {"type": row.type, "name": row.name, "message": row.message,
             "timestamp": row.timestamp}  # fmt: skip
    return {"id": f"rs-{row.id}", "event": f"cadenza.{kind}.{row.name}",
            "occurred": row.timestamp, "resource": labels, "related": links,
            "payload": {"validated_state": state}}  # fmt: skip


# -- the events table -----------------------------------------------------------------------------


def _event_rows(conn: sa.Connection, where: EventFilter, low: int, high: int, limit: int,
                forward: bool) -> list[StreamEvent]:  # fmt: skip
    conditions = [events.c.seq > low, events.c.seq <= high]
    if where.prefixes:
        conditions.append(sa.or_(*[events.c.event.like(_like_prefix(p), escape="\\")
                                   for p in where.prefixes]))  # fmt: skip
    if where.resources:
        conditions.append(sa.or_(*[
            events.c.resource_id == r if r.startswith("cadenza.")
            else events.c.resource_id.like("%." + _like_prefix(r)[:-1], escape="\\")
            for r in where.resources
        ]))  # fmt: skip
    if where.related:
        conditions.append(sa.or_(*[
            events.c.related.like("%" + _like_prefix(json.dumps(r))[:-1] + "%", escape="\\")
            for r in where.related
        ]))  # fmt: skip
    if where.since is not None:
        conditions.append(events.c.occurred >= where.since)
    if where.until is not None:
        conditions.append(events.c.occurred < where.until)
    order = events.c.seq if forward else events.c.seq.desc()
    rows = conn.execute(sa.select(events).where(*conditions).order_by(order).limit(limit))
    return [StreamEvent("event", row.seq, stored_event(row)) for row in rows]


def stored_event(row: Any) -> dict[str, Any]:
    """The event of one ``events`` row."""
    return {"id": row.id, "event": row.event, "occurred": row.occurred,
            "resource": json.loads(row.resource), "related": json.loads(row.related),
            "payload": json.loads(row.payload)}  # fmt: skip


def _matches(event: dict[str, Any], where: EventFilter) -> bool:
    """The exact check of what SQL approximated: related resource ids and bare resource ids."""
    if where.related:
        ids = {r.get(ID) for r in event["related"]}
        if not ids.intersection(where.related):
            return False
    if where.resources:
        rid = event["resource"][ID]
        if not any(rid == r or rid.endswith("." + r) for r in where.resources):
            return False
    return True


__all__ = [
    "FLOW",
    "FLOW_RUN",
    "IS_FLOW",
    "IS_TASK",
    "MESSAGE_LIMIT",
    "NAME",
    "TASK",
    "Cursor",
    "EventFilter",
    "StreamEvent",
    "head",
    "read",
    "read_transitions",
    "stored_event",
    "transition_event",
]
