"""The dashboard's reads of a run's structure: a task run's details and a flow run's run graph.

SQLAlchemy Core, the same on SQLite and PostgreSQL. Each read is bounded:

- `task_run_extras`: one task run's row, its states with their details, the task runs it came
  from (its ``task_inputs``) and at most `MAX_DOWNSTREAM` that came from it (a scan of its flow
  run's task runs, by the index ``(flow_run_id, created)``).
- `run_graph`: at most `limit` task runs of a flow run, by creation, and the edges among them from
  their ``task_inputs``; each node's depth (the longest chain of upstream runs before it) is
  computed here so the browser only draws.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import sqlalchemy as sa

from cadenza._times import iso
from cadenza.store.tables import flow_runs, run_states, task_runs

MAX_DOWNSTREAM = 200
"""Downstream task runs `task_run_extras` lists at most (then ``downstream_truncated``)."""
MAX_GRAPH = 20_000
"""The largest `limit` of `run_graph`."""


def _inputs(raw: str | None) -> dict[str, list[str]]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _details(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def result_reference(ref: str | None) -> dict[str, Any] | None:
    """Where a persisted result is — storage type, storage key, serializer — never its value;
    None without one. A reference this code cannot read is given as ``raw``."""
    if not ref:
        return None
    try:
        doc = json.loads(ref)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or "key" not in doc:
        return {"raw": ref}
    storage = doc.get("storage")
    return {
        "storage_key": doc.get("key"),
        "serializer": doc.get("serializer"),
        "storage_type": storage.get("type") if isinstance(storage, dict) else None,
    }


def task_run_extras(conn: sa.Connection, task_run_id: str) -> dict[str, Any]:
    """What the task-run detail view adds to ``GET /task_runs/{id}``: cache key and hit, the
    result's reference, retries allowed, states with their details, upstream and downstream
    runs. LookupError for an unknown id."""
    t = task_runs.c
    row = conn.execute(
        sa.select(
            t.flow_run_id, t.cache_key, t.retries, t.task_inputs, t.state_name, t.result_ref
        ).where(t.id == task_run_id)
    ).first()
    if row is None:
        raise LookupError(f"No task run with id {task_run_id!r}")
    flow_run_id, cache_key, retries, raw_inputs, state_name, result_ref = row
    s = run_states.c
    states = [
        {"type": r[0], "name": r[1], "message": r[2], "timestamp": iso(r[3]),
         "transition_id": r[4], "details": _details(r[5])}
        for r in conn.execute(
            sa.select(s.type, s.name, s.message, s.timestamp, s.transition_id, s.details)
            .where(s.run_id == task_run_id)
            .order_by(s.id)
        )
    ]  # fmt: skip
    inputs = _inputs(raw_inputs)
    upstream_ids = sorted({i for ids in inputs.values() for i in ids if isinstance(i, str)})
    known = {}
    if upstream_ids:
        for r in conn.execute(
            sa.select(t.id, t.name, t.task_name, t.state_type, t.state_name).where(
                t.id.in_(upstream_ids)
            )
        ):
            known[r[0]] = _node(r)
    upstream = [
        {**known.get(i, {"id": i, "name": None}), "input": name}
        for name, ids in inputs.items()
        for i in ids
    ]
    downstream: list[dict[str, Any]] = []
    if flow_run_id is not None:
        needle = json.dumps(task_run_id)  # as it appears inside a task_inputs list
        query = (
            sa.select(t.id, t.name, t.task_name, t.state_type, t.state_name, t.task_inputs)
            .where(t.flow_run_id == flow_run_id, t.task_inputs.is_not(None))
            .where(t.task_inputs.contains(needle, autoescape=True))
            .order_by(t.created, t.id)
            .limit(MAX_DOWNSTREAM + 1)
        )
        for r in conn.execute(query):
            names = [n for n, ids in _inputs(r[5]).items() if task_run_id in ids]
            if names:
                downstream.append({**_node(r), "inputs": names})
    return {
        "cache_key": cache_key,
        "cache_hit": state_name == "Cached",
        "retries": retries,
        "result": result_reference(result_ref),
        "task_inputs": inputs,
        "upstream": upstream,
        "downstream": downstream[:MAX_DOWNSTREAM],
        "downstream_truncated": len(downstream) > MAX_DOWNSTREAM,
        "states": states,
    }


def _node(r: Any) -> dict[str, Any]:
    return {
        "id": r[0],
        "name": r[1],
        "task_name": r[2],
        "state": {"type": r[3], "name": r[4]},
    }


def run_graph(conn: sa.Connection, run_id: str, limit: int) -> dict[str, Any]:
    """The first `limit` task runs of flow run `run_id` by creation as columns, the edges among
    them (``source`` fed ``target`` through ``input``) and each one's ``depth``. Edges from runs
    outside those nodes are counted in ``outside_edges``. LookupError for an unknown run."""
    if conn.execute(sa.select(flow_runs.c.id).where(flow_runs.c.id == run_id)).first() is None:
        raise LookupError(f"No flow run with id {run_id!r}")
    t = task_runs.c
    rows = conn.execute(
        sa.select(t.id, t.name, t.task_name, t.state_type, t.state_name, t.run_count, t.task_inputs)
        .where(t.flow_run_id == run_id)
        .order_by(t.created, t.id)
        .limit(limit + 1)
    ).all()
    truncated = len(rows) > limit
    rows = rows[:limit]
    index = {r[0]: i for i, r in enumerate(rows)}
    source: list[int] = []
    target: list[int] = []
    via: list[str] = []
    outside = 0
    for i, r in enumerate(rows):
        for name, ids in _inputs(r[6]).items():
            for upstream in ids:
                j = index.get(upstream)
                if j is None or j == i:
                    outside += 1
                    continue
                source.append(j)
                target.append(i)
                via.append(name)
    total = len(rows)
    if truncated:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(task_runs).where(t.flow_run_id == run_id)
        ).scalar_one()
    return {
        "flow_run_id": run_id,
        "count": len(rows),
        "total": total,
        "truncated": truncated,
        "ids": [r[0] for r in rows],
        "names": [r[1] for r in rows],
        "task_names": [r[2] for r in rows],
        "state": [r[3] for r in rows],
        "state_name": [r[4] for r in rows],
        "run_count": [r[5] for r in rows],
        "depth": depths(len(rows), source, target),
        "edges": {"source": source, "target": target, "input": via},
        "outside_edges": outside,
    }


def depths(n: int, source: list[int], target: list[int]) -> list[int]:
    """The longest path of edges into each of `n` nodes (Kahn's order; a node on a cycle, which
    a record should never hold, keeps the depth reached before it)."""
    out: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n
    for s, t in zip(source, target, strict=True):
        out[s].append(t)
        waiting[t] += 1
    depth = [0] * n
    ready = deque(i for i in range(n) if waiting[i] == 0)
    while ready:
        i = ready.popleft()
        for t in out[i]:
            depth[t] = max(depth[t], depth[i] + 1)
            waiting[t] -= 1
            if waiting[t] == 0:
                ready.append(t)
    return depth


__all__ = [
    "MAX_DOWNSTREAM",
    "MAX_GRAPH",
    "depths",
    "result_reference",
    "run_graph",
    "task_run_extras",
]
