"""Events of the record that are not state transitions: deployments, work pools, workers and
automations, written to the ``events`` table in the caller's transaction.

State transitions are events too, but they are already rows of ``run_states`` (written by the
embedded writer and the server alike); `cadenza.store.event_stream` reads both tables as one
stream, so a transition is never written twice. An event is a dict shaped as Prefect 3 shapes
them, with the ``cadenza.`` prefix where Prefect uses ``prefect.``::

    {"id": "...", "event": "cadenza.deployment.paused", "occurred": 1767225600.0,
     "resource": {"cadenza.resource.id": "cadenza.deployment.<id>",
                  "cadenza.resource.name": "nightly"},
     "related": [{"cadenza.resource.id": "cadenza.flow.etl", "cadenza.resource.role": "flow",
                  "cadenza.resource.name": "etl"}],
     "payload": {}}

An event's id is unique: an event written twice under one id (two server processes noticing the
same worker go offline) is kept once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from cadenza._ids import new_id
from cadenza.store.sql import dialect_insert
from cadenza.store.tables import events

ID = "cadenza.resource.id"
NAME = "cadenza.resource.name"
ROLE = "cadenza.resource.role"

_DEPLOYMENT_FIELDS = ("entrypoint", "path", "source", "description", "version", "work_pool_name",
                      "work_queue_name", "concurrency_limit", "catchup", "late_after", "parameters",
                      "parameter_schema", "tags", "job_variables", "schedules")  # fmt: skip
_POOL_FIELDS = ("type", "description", "concurrency_limit", "base_job_template")


def resource(kind: str, ident: str, name: str | None = None, **labels: Any) -> dict[str, str]:
    """The labels of resource ``cadenza.<kind>.<ident>`` (more labels as ``cadenza.<key>``,
    underscores as dashes)."""
    out = {ID: f"cadenza.{kind}.{ident}"}
    if name is not None:
        out[NAME] = name
    for key, value in labels.items():
        if value is not None:
            out[f"cadenza.{key.replace('_', '-')}"] = str(value)
    return out


def related(kind: str, ident: str, name: str | None = None, role: str | None = None) -> dict:
    """A related resource: `resource` with its role (default: its kind)."""
    return {**resource(kind, ident, name), ROLE: role or kind}


def tags(values: Iterable[str]) -> list[dict[str, str]]:
    return [related("tag", t, t) for t in values]


def emit(
    conn: sa.Connection,
    event: str,
    resource: Mapping[str, str],
    related: Iterable[Mapping[str, str]] = (),
    payload: Mapping[str, Any] | None = None,
    *,
    occurred: float | None = None,
    event_id: str | None = None,
) -> bool:
    """Write one event in the caller's transaction; False if `event_id` was written before."""
    row = {
        "id": event_id or new_id(),
        "occurred": time.time() if occurred is None else occurred,
        "event": event,
        "resource_id": resource[ID],
        "resource": json.dumps(dict(resource), sort_keys=True),
        "related": json.dumps([dict(r) for r in related]),
        "payload": json.dumps(dict(payload or {}), default=str),
    }
    insert = dialect_insert(conn.dialect.name, events).values(row)
    insert = insert.on_conflict_do_nothing(index_elements=["id"]).returning(events.c.seq)
    return conn.execute(insert).first() is not None


def ingest(conn: sa.Connection, records: Iterable[Mapping[str, Any]]) -> int:
    """Write events sent to the record (`cadenza.events.Event.record`'s dicts) in the caller's
    transaction, each id once; return how many were new."""
    rows = [
        {"id": e["id"], "occurred": e["occurred"], "event": e["event"],
         "resource_id": e["resource"][ID], "resource": json.dumps(e["resource"], sort_keys=True),
         "related": json.dumps(e["related"]), "payload": json.dumps(e["payload"])}
        for e in records
    ]  # fmt: skip
    stored = 0
    for row in rows:  # one by one: RETURNING of a many-row insert is not portable
        insert = dialect_insert(conn.dialect.name, events).values(row)
        insert = insert.on_conflict_do_nothing(index_elements=["id"]).returning(events.c.seq)
        stored += conn.execute(insert).first() is not None
    return stored


# -- deployments, work pools, workers ------------------------------------------------------------


def _deployment_labels(d: Mapping[str, Any]) -> tuple[dict[str, str], list[dict[str, str]]]:
    labels = resource("deployment", d["id"], d["name"], flow_name=d["flow_name"])
    links = [related("flow", d["flow_name"], d["flow_name"])]
    if d.get("work_pool_name"):
        links.append(related("work-pool", d["work_pool_name"], d["work_pool_name"]))
    return labels, links + tags(d.get("tags") or [])


def deployment_changed(
    conn: sa.Connection, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> None:
    """Emit what happened to a deployment: ``cadenza.deployment.created``, ``.updated`` (with
    the names of the changed fields), ``.paused``, ``.resumed`` or ``.deleted``."""
    current = after if after is not None else before
    if current is None:
        return
    labels, links = _deployment_labels(current)
    if before is None:
        emit(conn, "cadenza.deployment.created", labels, links)
        return
    if after is None:
        emit(conn, "cadenza.deployment.deleted", labels, links)
        return
    changed = [k for k in _DEPLOYMENT_FIELDS if before.get(k) != after.get(k)]
    if changed:
        emit(conn, "cadenza.deployment.updated", labels, links, {"updated_fields": changed})
    if bool(before.get("paused")) != bool(after.get("paused")):
        name = "paused" if after.get("paused") else "resumed"
        emit(conn, f"cadenza.deployment.{name}", labels, links)


def work_pool_changed(
    conn: sa.Connection, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> None:
    """As `deployment_changed`, for a work pool: ``cadenza.work-pool.created``, ... ."""
    current = after if after is not None else before
    if current is None:
        return
    labels = resource("work-pool", current["name"], current["name"], work_pool_type=current["type"])
    if before is None:
        emit(conn, "cadenza.work-pool.created", labels)
    elif after is None:
        emit(conn, "cadenza.work-pool.deleted", labels)
    else:
        changed = [k for k in _POOL_FIELDS if before.get(k) != after.get(k)]
        if changed:
            emit(conn, "cadenza.work-pool.updated", labels, (), {"updated_fields": changed})
        if bool(before.get("paused")) != bool(after.get("paused")):
            name = "paused" if after.get("paused") else "resumed"
            emit(conn, f"cadenza.work-pool.{name}", labels)


def worker_labels(pool: str, name: str, **labels: Any) -> tuple[dict[str, str], list[dict]]:
    """A worker's resource (``cadenza.worker.<pool>/<name>``) and its pool."""
    return (
        resource("worker", f"{pool}/{name}", name, **labels),
        [related("work-pool", pool, pool)],
    )


def worker_online(
    conn: sa.Connection, pool: str, name: str, now: float, hostname: str | None, pid: int | None
) -> None:
    """``cadenza.worker.online``: a worker's first heartbeat, or its first since it went
    offline."""
    labels, links = worker_labels(pool, name, hostname=hostname, pid=pid)
    emit(conn, "cadenza.worker.online", labels, links, occurred=now)


def worker_offline(conn: sa.Connection, worker: Mapping[str, Any]) -> bool:
    """``cadenza.worker.offline`` when a worker's lease ran out: once per lease (its id is made
    from the lease), however many processes notice."""
    labels, links = worker_labels(worker["pool_name"], worker["name"], hostname=worker["hostname"])
    payload = {"last_heartbeat": worker["last_heartbeat"]}
    event_id = f"cadenza.worker.offline.{worker['id']}.{worker['lease_expires']!r}"
    return emit(conn, "cadenza.worker.offline", labels, links, payload,
                occurred=worker["lease_expires"], event_id=event_id)  # fmt: skip


__all__ = [
    "ID",
    "NAME",
    "ROLE",
    "deployment_changed",
    "emit",
    "ingest",
    "related",
    "resource",
    "tags",
    "work_pool_changed",
    "worker_labels",
    "worker_offline",
    "worker_online",
]
