"""Deployments in the record: create or update, read, pause, delete, and their runs.

Functions take an open SQLAlchemy connection inside a write (or read) transaction of
`cadenza.store.sql.SqlDatabase`, so the server's routes and a `serve` process on the embedded
record run the same code. A deployment is a dict with the columns of
`cadenza.store.tables.deployments`, JSON columns decoded, and ``schedules``: a list of
``{"id", "schedule", "active", "parameters", "slug"}`` (``schedule`` in the shape of
`cadenza.schedules.schedule_to_dict`).

A deployment's runs are flow runs created in a Scheduled state with the deployment's id, work
pool and queue, an expected start time and, for the scheduler's, a unique idempotency key: the
same key inserted twice (two schedulers, a retried request) is one run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from cadenza._ids import new_id
from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.naming import random_run_name
from cadenza.states import StateType
from cadenza.store import events as record_events
from cadenza.store.sql import dialect_insert
from cadenza.store.tables import deployment_schedules, deployments, flow_runs, run_states

SCHEDULED = StateType.SCHEDULED.value
_JSON = {"parameters": "{}", "parameter_schema": "{}", "tags": "[]", "job_variables": "{}"}
_FIELDS = ("entrypoint", "path", "source", "description", "version", "work_pool_name",
           "work_queue_name", "concurrency_limit", "paused", "catchup", "late_after")  # fmt: skip
DEFAULT_LATE_AFTER = 15.0
"""Seconds after its scheduled time at which a run that has not started is marked Late."""


def split_name(ref: str) -> tuple[str, str] | None:
    """``("flow", "deployment")`` of a ``"flow/deployment"`` name, else None."""
    flow_name, sep, name = ref.partition("/")
    return (flow_name, name) if sep and flow_name and name else None


def _decoded(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for key in _JSON:
        out[key] = json.loads(out[key]) if out.get(key) else json.loads(_JSON[key])
    if out.get("source"):
        out["source"] = json.loads(out["source"])
    out["paused"] = bool(out["paused"])
    out["catchup"] = bool(out["catchup"])
    out["full_name"] = f"{out['flow_name']}/{out['name']}"
    return out


def _schedules(conn: sa.Connection, deployment_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(deployment_schedules)
        .where(deployment_schedules.c.deployment_id == deployment_id)
        .order_by(deployment_schedules.c.created, deployment_schedules.c.id)
    )
    return [
        {
            "id": r.id,
            "schedule": json.loads(r.schedule),
            "active": bool(r.active),
            "parameters": json.loads(r.parameters),
            "slug": r.slug,
        }
        for r in rows
    ]


def read_deployment(conn: sa.Connection, ref: str) -> dict[str, Any]:
    """The deployment whose id or ``flow/name`` is `ref`; `ObjectNotFound` otherwise."""
    names = split_name(ref)
    where = (
        sa.and_(deployments.c.flow_name == names[0], deployments.c.name == names[1])
        if names is not None
        else deployments.c.id == ref
    )
    row = conn.execute(sa.select(deployments).where(where)).first()
    if row is None:
        raise ObjectNotFound(f"no deployment named or with id {ref!r}")
    out = _decoded(row)
    out["schedules"] = _schedules(conn, out["id"])
    return out


def list_deployments(
    conn: sa.Connection, flow_name: str | None = None, limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    query = sa.select(deployments).order_by(deployments.c.flow_name, deployments.c.name)
    if flow_name is not None:
        query = query.where(deployments.c.flow_name == flow_name)
    out = [_decoded(r) for r in conn.execute(query.limit(limit).offset(offset))]
    for d in out:
        d["schedules"] = _schedules(conn, d["id"])
    return out


def _schedule_rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "schedule": json.dumps(dict(item["schedule"]), sort_keys=True),
            "active": bool(item.get("active", True)),
            "parameters": json.dumps(dict(item.get("parameters") or {}), sort_keys=True),
            "slug": item.get("slug"),
        }
        for item in items
    ]


def apply_deployment(
    conn: sa.Connection, spec: Mapping[str, Any], now: float | None = None
) -> dict[str, Any]:
    """Create the deployment `spec` describes (``flow_name`` and ``name`` required), or update
    the one of that name; its schedules are replaced by ``spec["schedules"]`` when given.

    Changing the schedules or pausing removes the runs the scheduler made that have not started.
    Returns the deployment as `read_deployment` does.
    """
    now = time.time() if now is None else now
    flow_name, name = spec["flow_name"], spec["name"]
    values: dict[str, Any] = {k: spec[k] for k in _FIELDS if k in spec}
    for key in _JSON:
        if key in spec:
            values[key] = json.dumps(spec[key], sort_keys=True)
    if "source" in spec:
        values["source"] = json.dumps(spec["source"]) if spec["source"] is not None else None
    existing = conn.execute(
        sa.select(deployments.c.id, deployments.c.paused).where(
            deployments.c.flow_name == flow_name, deployments.c.name == name
        )
    ).first()
    if existing is None:
        deployment_id = new_id()
        conn.execute(
            deployments.insert().values(
                id=deployment_id, name=name, flow_name=flow_name, created=now, updated=now, **values
            )
        )
        was_paused, before = False, None
    else:
        deployment_id, was_paused = existing.id, bool(existing.paused)
        before = read_deployment(conn, deployment_id)
        conn.execute(
            deployments.update()
            .where(deployments.c.id == deployment_id)
            .values(updated=now, **values)
        )
    if "schedules" in spec:
        wanted = _schedule_rows(spec["schedules"] or ())
        have = [
            {k: r[k] for k in ("schedule", "active", "parameters", "slug")}
            for r in conn.execute(
                sa.select(deployment_schedules)
                .where(deployment_schedules.c.deployment_id == deployment_id)
                .order_by(deployment_schedules.c.created, deployment_schedules.c.id)
            ).mappings()
        ]
        for row in have:
            row["active"] = bool(row["active"])
        if have != wanted:
            remove_scheduled_runs(conn, deployment_id)
            conn.execute(
                deployment_schedules.delete().where(
                    deployment_schedules.c.deployment_id == deployment_id
                )
            )
            for offset, row in enumerate(wanted):
                conn.execute(
                    deployment_schedules.insert().values(
                        id=new_id(), deployment_id=deployment_id, created=now + offset * 1e-6,
                        updated=now, **row,
                    )
                )  # fmt: skip
    if values.get("paused") and not was_paused:
        remove_scheduled_runs(conn, deployment_id)
    after = read_deployment(conn, deployment_id)
    record_events.deployment_changed(conn, before, after)
    return after


def create_deployment(conn: sa.Connection, spec: Mapping[str, Any]) -> dict[str, Any]:
    """As `apply_deployment`, but `ObjectAlreadyExists` if the name is taken."""
    taken = conn.execute(
        sa.select(deployments.c.id).where(
            deployments.c.flow_name == spec["flow_name"], deployments.c.name == spec["name"]
        )
    ).first()
    if taken is not None:
        raise ObjectAlreadyExists(f"deployment {spec['flow_name']}/{spec['name']} exists")
    return apply_deployment(conn, spec)


def set_paused(conn: sa.Connection, ref: str, paused: bool) -> dict[str, Any]:
    """Pause (its scheduled runs that have not started are removed) or resume a deployment."""
    deployment = read_deployment(conn, ref)
    return apply_deployment(
        conn, {"flow_name": deployment["flow_name"], "name": deployment["name"], "paused": paused}
    )


def delete_deployment(conn: sa.Connection, ref: str) -> dict[str, Any]:
    """Delete a deployment, its schedules and its runs that have not started; runs that
    started keep their record (and the deployment's id)."""
    deployment = read_deployment(conn, ref)
    remove_scheduled_runs(conn, deployment["id"], auto_only=False)
    conn.execute(
        deployment_schedules.delete().where(
            deployment_schedules.c.deployment_id == deployment["id"]
        )
    )
    conn.execute(deployments.delete().where(deployments.c.id == deployment["id"]))
    record_events.deployment_changed(conn, deployment, None)
    return deployment


def remove_scheduled_runs(conn: sa.Connection, deployment_id: str, auto_only: bool = True) -> int:
    """Delete the deployment's runs still in a Scheduled state (Scheduled or Late) — by
    default only those the scheduler made. Returns how many."""
    where = [flow_runs.c.deployment_id == deployment_id, flow_runs.c.state_type == SCHEDULED]
    if auto_only:
        where.append(flow_runs.c.auto_scheduled.is_(True))
    ids = list(conn.execute(sa.select(flow_runs.c.id).where(*where)).scalars())
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(run_states.delete().where(run_states.c.run_id.in_(chunk)))
        # re-checked under the row lock: a run claimed meanwhile is no longer Scheduled
        conn.execute(flow_runs.delete().where(flow_runs.c.id.in_(chunk), *where[1:]))
    return len(ids)


def merged_parameters(deployment: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict:
    """The deployment's default parameters with `overrides`; `ValueError` naming any parameter
    the flow does not take (when the deployment knows its flow's parameters)."""
    properties = (deployment.get("parameter_schema") or {}).get("properties")
    accepts_any = (deployment.get("parameter_schema") or {}).get("additionalProperties", False)
    if properties is not None and not accepts_any:
        unknown = sorted(set(overrides) - set(properties))
        if unknown:
            raise ValueError(
                f"flow {deployment['flow_name']!r} takes no parameter(s) {', '.join(unknown)}; "
                f"it takes: {', '.join(properties) or 'none'}"
            )
    return {**deployment.get("parameters", {}), **overrides}


def create_flow_run(
    conn: sa.Connection,
    deployment: Mapping[str, Any],
    *,
    dialect: str,
    parameters: Mapping[str, Any] | None = None,
    scheduled_time: float | None = None,
    tags: Iterable[str] = (),
    name: str | None = None,
    job_variables: Mapping[str, Any] | None = None,
    parent_flow_run_id: str | None = None,
    parent_task_run_id: str | None = None,
    idempotency_key: str | None = None,
    schedule_id: str | None = None,
    state_name: str = "Scheduled",
    now: float | None = None,
) -> tuple[dict[str, Any], bool]:
    """Create a Scheduled run of `deployment` due at `scheduled_time` (default now).

    Returns (the run's summary, whether it was created): a run with the same
    `idempotency_key` is returned instead of a second one.
    """
    now = time.time() if now is None else now
    due = now if scheduled_time is None else scheduled_time
    run_id = new_id()
    params = merged_parameters(deployment, parameters or {})
    row = {
        "id": run_id,
        "name": name or random_run_name(),
        "flow_name": deployment["flow_name"],
        "flow_version": deployment.get("version"),
        "parent_flow_run_id": parent_flow_run_id,
        "parent_task_run_id": parent_task_run_id,
        "parameters": json.dumps(params),
        "tags": json.dumps(list(dict.fromkeys([*deployment.get("tags", []), *tags]))),
        "state_type": SCHEDULED,
        "state_name": state_name,
        "created": now,
        "entrypoint": deployment.get("entrypoint"),
        "deployment_id": deployment["id"],
        "work_pool_name": deployment.get("work_pool_name"),
        "work_queue_name": deployment.get("work_queue_name"),
        "expected_start_time": due,
        "idempotency_key": idempotency_key,
        "auto_scheduled": schedule_id is not None,
        "schedule_id": schedule_id,
        "job_variables": json.dumps(dict(job_variables or {})),
    }
    insert = (
        dialect_insert(dialect, flow_runs)
        .values(row)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(flow_runs.c.id)
    )
    created = conn.execute(insert).first() is not None
    if not created:
        existing = conn.execute(
            sa.select(flow_runs.c.id).where(flow_runs.c.idempotency_key == idempotency_key)
        ).scalar_one()
        return flow_run_summary(conn, existing), False
    conn.execute(
        run_states.insert().values(
            transition_id="scheduled", run_id=run_id, flow_run_id=run_id, type=SCHEDULED,
            name=state_name, message=None, timestamp=now,
            details=json.dumps({"scheduled_time": due}),
        )
    )  # fmt: skip
    return flow_run_summary(conn, run_id), True


_SUMMARY = ("id", "name", "flow_name", "state_type", "state_name", "state_message",
            "parameters", "tags", "deployment_id", "work_pool_name", "work_queue_name",
            "expected_start_time", "start_time", "end_time", "created", "parent_flow_run_id",
            "parent_task_run_id", "auto_scheduled", "worker_name", "idempotency_key",
            "job_variables", "entrypoint")  # fmt: skip


def upcoming_runs(conn: sa.Connection, ref: str, limit: int = 5) -> list[dict[str, Any]]:
    """The deployment's runs still Scheduled (or Late), soonest due first: at most `limit`,
    each as `flow_run_summary` gives it. `ObjectNotFound` for an unknown deployment."""
    deployment = read_deployment(conn, ref)
    ids = conn.execute(
        sa.select(flow_runs.c.id)
        .where(flow_runs.c.deployment_id == deployment["id"], flow_runs.c.state_type == SCHEDULED)
        .order_by(flow_runs.c.expected_start_time, flow_runs.c.id)
        .limit(limit)
    ).scalars()
    return [flow_run_summary(conn, run_id) for run_id in list(ids)]


def flow_run_summary(conn: sa.Connection, run_id: str) -> dict[str, Any]:
    """A deployment run's fields (JSON decoded); `ObjectNotFound` for an unknown id."""
    row = conn.execute(
        sa.select(*[flow_runs.c[c] for c in _SUMMARY]).where(flow_runs.c.id == run_id)
    ).first()
    if row is None:
        raise ObjectNotFound(f"no flow run with id {run_id!r}")
    out = dict(row._mapping)
    for key in ("parameters", "tags", "job_variables"):
        out[key] = json.loads(out[key]) if out[key] else ({} if key != "tags" else [])
    out["auto_scheduled"] = bool(out["auto_scheduled"])
    return out


__all__ = [
    "DEFAULT_LATE_AFTER",
    "SCHEDULED",
    "apply_deployment",
    "create_deployment",
    "create_flow_run",
    "delete_deployment",
    "flow_run_summary",
    "list_deployments",
    "merged_parameters",
    "read_deployment",
    "remove_scheduled_runs",
    "set_paused",
    "split_name",
    "upcoming_runs",
]
