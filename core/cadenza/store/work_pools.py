"""Work pools, their queues and workers in the record, and claiming deployments' runs.

`claim_runs` hands a worker (or a `serve` process) the runs whose time has come, each to one
claimant only: on PostgreSQL the candidate rows are read ``FOR UPDATE SKIP LOCKED`` (a row
another claimant holds is passed over, not waited for); on SQLite writers are serialised
(`cadenza.store.sql.SqlDatabase.write`). A claimed run moves Scheduled → Pending through the one
transition function, records the claimant, and gets a lease: if nothing renews it (the worker
died before its child started), the server's reaper marks the run Crashed.

Concurrency limits of the pool, the queue and the deployment count the runs in Pending,
Running or Cancelling; runs beyond a limit stay Scheduled for a later claim.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from cadenza._ids import new_id
from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.orchestration import CORE_POLICY
from cadenza.orchestration.transitions import ROW_COLUMNS, propose
from cadenza.states import State, StateType
from cadenza.store import events as record_events
from cadenza.store.deployments import SCHEDULED, flow_run_summary, read_deployment
from cadenza.store.sql import dialect_insert, load_runs, write_transitions
from cadenza.store.tables import deployments, flow_runs, work_pools, work_queues, workers

DEFAULT_QUEUE = "default"
_BUSY = (StateType.PENDING.value, StateType.RUNNING.value, StateType.CANCELLING.value)


def _pool(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["paused"] = bool(out["paused"])
    out["base_job_template"] = json.loads(out["base_job_template"] or "{}")
    return out


def read_pool(conn: sa.Connection, name: str) -> dict[str, Any]:
    row = conn.execute(sa.select(work_pools).where(work_pools.c.name == name)).first()
    if row is None:
        raise ObjectNotFound(f"no work pool named {name!r}")
    out = _pool(row)
    out["queues"] = list_queues(conn, name)
    return out


def list_pools(conn: sa.Connection) -> list[dict[str, Any]]:
    return [_pool(r) for r in conn.execute(sa.select(work_pools).order_by(work_pools.c.name))]


def create_pool(
    conn: sa.Connection,
    name: str,
    type: str = "process",
    concurrency_limit: int | None = None,
    description: str | None = None,
    base_job_template: dict[str, Any] | None = None,
    overwrite: bool = False,
    now: float | None = None,
) -> dict[str, Any]:
    """Create a pool (with its ``default`` queue); `ObjectAlreadyExists` if the name is taken,
    unless `overwrite` (then its settings are replaced)."""
    now = time.time() if now is None else now
    values = {
        "type": type,
        "concurrency_limit": concurrency_limit,
        "description": description,
        "base_job_template": json.dumps(base_job_template or {}),
        "updated": now,
    }
    exists = conn.execute(sa.select(work_pools.c.name).where(work_pools.c.name == name)).first()
    before = None
    if exists is not None:
        if not overwrite:
            raise ObjectAlreadyExists(f"work pool {name!r} exists")
        before = read_pool(conn, name)
        conn.execute(work_pools.update().where(work_pools.c.name == name).values(values))
    else:
        conn.execute(work_pools.insert().values(name=name, created=now, **values))
        create_queue(conn, name, DEFAULT_QUEUE, now=now)
    after = read_pool(conn, name)
    record_events.work_pool_changed(conn, before, after)
    return after


def set_pool_paused(conn: sa.Connection, name: str, paused: bool) -> dict[str, Any]:
    before = read_pool(conn, name)
    conn.execute(
        work_pools.update()
        .where(work_pools.c.name == name)
        .values(paused=paused, updated=time.time())
    )
    after = read_pool(conn, name)
    record_events.work_pool_changed(conn, before, after)
    return after


def delete_pool(conn: sa.Connection, name: str) -> dict[str, Any]:
    """Delete a pool, its queues and workers; deployments that name it keep the name (their
    runs wait until a pool of that name exists again)."""
    pool = read_pool(conn, name)
    conn.execute(work_queues.delete().where(work_queues.c.pool_name == name))
    conn.execute(workers.delete().where(workers.c.pool_name == name))
    conn.execute(work_pools.delete().where(work_pools.c.name == name))
    record_events.work_pool_changed(conn, pool, None)
    return pool


def _queue(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["paused"] = bool(out["paused"])
    return out


def list_queues(conn: sa.Connection, pool: str) -> list[dict[str, Any]]:
    query = (
        sa.select(work_queues)
        .where(work_queues.c.pool_name == pool)
        .order_by(work_queues.c.priority, work_queues.c.name)
    )
    return [_queue(r) for r in conn.execute(query)]


def create_queue(
    conn: sa.Connection,
    pool: str,
    name: str,
    priority: int = 1,
    concurrency_limit: int | None = None,
    description: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Create a queue in `pool` (lower `priority` numbers are served first)."""
    now = time.time() if now is None else now
    taken = conn.execute(
        sa.select(work_queues.c.id).where(
            work_queues.c.pool_name == pool, work_queues.c.name == name
        )
    ).first()
    if taken is not None:
        raise ObjectAlreadyExists(f"work queue {name!r} exists in pool {pool!r}")
    conn.execute(
        work_queues.insert().values(
            id=new_id(), pool_name=pool, name=name, priority=priority,
            concurrency_limit=concurrency_limit, description=description, created=now,
            updated=now,
        )
    )  # fmt: skip
    return next(q for q in list_queues(conn, pool) if q["name"] == name)


def set_queue_paused(conn: sa.Connection, pool: str, name: str, paused: bool) -> dict[str, Any]:
    result = conn.execute(
        work_queues.update()
        .where(work_queues.c.pool_name == pool, work_queues.c.name == name)
        .values(paused=paused, updated=time.time())
    )
    if result.rowcount == 0:
        raise ObjectNotFound(f"no work queue {name!r} in pool {pool!r}")
    return next(q for q in list_queues(conn, pool) if q["name"] == name)


def heartbeat_worker(
    conn: sa.Connection,
    dialect: str,
    pool: str,
    name: str,
    lease_seconds: float,
    pid: int | None = None,
    hostname: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Record that worker `name` of `pool` is alive until now + `lease_seconds`."""
    now = time.time() if now is None else now
    read_pool(conn, pool)
    where = (workers.c.pool_name == pool, workers.c.name == name)
    lease = conn.execute(sa.select(workers.c.lease_expires).where(*where)).scalar()
    if lease is None or lease <= now:  # a new worker, or one that was offline
        record_events.worker_online(conn, pool, name, now, hostname, pid)
    insert = dialect_insert(dialect, workers).values(
        id=new_id(), pool_name=pool, name=name, hostname=hostname, pid=pid,
        last_heartbeat=now, lease_expires=now + lease_seconds, created=now,
    )  # fmt: skip
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["pool_name", "name"],
            set_={
                "hostname": hostname,
                "pid": pid,
                "last_heartbeat": now,
                "lease_expires": now + lease_seconds,
            },
        )
    )
    return {"pool_name": pool, "name": name, "lease_expires": now + lease_seconds}


def list_workers(conn: sa.Connection, pool: str, now: float | None = None) -> list[dict[str, Any]]:
    """The pool's workers, each ``ONLINE`` while its lease holds, else ``OFFLINE``."""
    now = time.time() if now is None else now
    rows = conn.execute(
        sa.select(workers).where(workers.c.pool_name == pool).order_by(workers.c.name)
    )
    out = []
    for row in rows:
        item = dict(row._mapping)
        item["status"] = "ONLINE" if row.lease_expires > now else "OFFLINE"
        out.append(item)
    return out


def _busy_counts(conn: sa.Connection, column: sa.Column[Any], keys: Iterable[Any]) -> dict:
    keys = [k for k in set(keys) if k is not None]
    if not keys:
        return {}
    query = (
        sa.select(column, sa.func.count())
        .where(column.in_(keys), flow_runs.c.state_type.in_(_BUSY))
        .group_by(column)
    )
    return dict(conn.execute(query).all())


def claim_runs(
    conn: sa.Connection,
    *,
    dialect: str,
    claimant: str,
    lease_seconds: float,
    limit: int,
    pool: str | None = None,
    queues: Iterable[str] | None = None,
    deployment_ids: Iterable[str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Claim up to `limit` due runs of `pool` (optionally only `queues`) or of
    `deployment_ids` for `claimant`; see the module docstring.

    Returns ``{"runs": [...], "next_due": epoch | None}``: each claimed run with its
    deployment's entrypoint, path, source and job variables, and when the next run in scope
    that is not due yet will be (so a claimant can sleep until then).
    """
    now = time.time() if now is None else now
    scope = [flow_runs.c.state_type == SCHEDULED]
    queue_rows: dict[str, dict[str, Any]] = {}
    pool_row = None
    if pool is not None:
        pool_row = read_pool(conn, pool)
        if pool_row["paused"]:
            return {"runs": [], "next_due": None, "paused": True}
        queue_rows = {q["name"]: q for q in pool_row["queues"]}
        live = [n for n, q in queue_rows.items() if not q["paused"]]
        if queues is not None:
            live = [n for n in live if n in set(queues)]
        scope.append(flow_runs.c.work_pool_name == pool)
        queue_match = flow_runs.c.work_queue_name.in_(live)
        if DEFAULT_QUEUE in live:  # a deployment without a queue is served by the default one
            queue_match = sa.or_(queue_match, flow_runs.c.work_queue_name.is_(None))
        scope.append(queue_match)
    if deployment_ids is not None:
        scope.append(flow_runs.c.deployment_id.in_(list(deployment_ids)))
    if pool is None and deployment_ids is None:
        raise ValueError("claim_runs needs a pool or deployment ids")
    not_paused = sa.or_(
        flow_runs.c.deployment_id.is_(None),
        ~sa.exists().where(deployments.c.id == flow_runs.c.deployment_id, deployments.c.paused),
    )
    due = (
        sa.select(flow_runs.c.id, flow_runs.c.deployment_id, flow_runs.c.work_queue_name)
        .where(*scope, not_paused, flow_runs.c.expected_start_time <= now)
        .order_by(flow_runs.c.expected_start_time, flow_runs.c.id)
        .limit(max(limit * 4, limit + 16))
    )
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True, of=flow_runs)
    candidates = conn.execute(due).all()
    if queue_rows:  # lower priority numbers first, then by time (the query's order)
        rank = {n: q["priority"] for n, q in queue_rows.items()}
        candidates.sort(key=lambda r: rank.get(r.work_queue_name or DEFAULT_QUEUE, 1))
    chosen = _within_limits(conn, candidates, limit, pool_row, queue_rows)
    runs = load_runs(conn, flow_runs, "flow", [r.id for r in chosen]) if chosen else {}
    rows: list[dict[str, Any]] = []
    claimed: list[str] = []
    for candidate in chosen:
        run = runs.get(candidate.id)
        if run is None or run.state_type != SCHEDULED:
            continue
        state = State(StateType.PENDING, None, f"Claimed by {claimant}", ts=now)
        _decision, made = propose(CORE_POLICY, run, state, f"claimed:{claimant}:{now!r}")
        if made is None:
            continue
        rows.append(dict(zip(ROW_COLUMNS, made[:8], strict=True)))
        claimed.append(candidate.id)
    write_transitions(conn, rows, [r for r in runs.values() if r.dirty])
    if claimed:
        conn.execute(
            flow_runs.update()
            .where(flow_runs.c.id.in_(claimed))
            .values(worker_name=claimant, lease_expires=now + lease_seconds)
        )
    upcoming = conn.execute(
        sa.select(sa.func.min(flow_runs.c.expected_start_time)).where(
            *scope, not_paused, flow_runs.c.expected_start_time > now
        )
    ).scalar()
    return {"runs": [_claimed(conn, run_id) for run_id in claimed], "next_due": upcoming}


def _within_limits(
    conn: sa.Connection,
    candidates: list[Any],
    limit: int,
    pool_row: dict[str, Any] | None,
    queue_rows: dict[str, dict[str, Any]],
) -> list[Any]:
    deployment_ids = {c.deployment_id for c in candidates}
    limits = dict(
        conn.execute(
            sa.select(deployments.c.id, deployments.c.concurrency_limit).where(
                deployments.c.id.in_([d for d in deployment_ids if d is not None]),
                deployments.c.concurrency_limit.is_not(None),
            )
        ).all()
    )
    busy_deployments = _busy_counts(conn, flow_runs.c.deployment_id, limits)
    pool_busy = queue_busy = None
    if pool_row is not None:
        pool_busy = _busy_counts(conn, flow_runs.c.work_pool_name, [pool_row["name"]]).get(
            pool_row["name"], 0
        )
        queue_busy = _busy_counts(
            conn, flow_runs.c.work_queue_name, [n for n in queue_rows]
        )  # a queue's name is unique within its pool; runs are already of this pool
    chosen = []
    for c in candidates:
        if len(chosen) >= limit:
            break
        cap = limits.get(c.deployment_id)
        if cap is not None and busy_deployments.get(c.deployment_id, 0) >= cap:
            continue
        pool_cap = pool_row["concurrency_limit"] if pool_row is not None else None
        if pool_cap is not None and pool_busy is not None and pool_busy >= pool_cap:
            break
        queue = queue_rows.get(c.work_queue_name or DEFAULT_QUEUE)
        queue_cap = queue["concurrency_limit"] if queue is not None else None
        if queue_cap is not None and (queue_busy or {}).get(queue["name"], 0) >= queue_cap:
            continue
        chosen.append(c)
        if cap is not None:
            busy_deployments[c.deployment_id] = busy_deployments.get(c.deployment_id, 0) + 1
        if pool_busy is not None:
            pool_busy += 1
        if queue is not None and queue_busy is not None:
            queue_busy[queue["name"]] = queue_busy.get(queue["name"], 0) + 1
    return chosen


def _claimed(conn: sa.Connection, run_id: str) -> dict[str, Any]:
    run = flow_run_summary(conn, run_id)
    if run["deployment_id"] is not None:
        try:
            deployment = read_deployment(conn, run["deployment_id"])
        except ObjectNotFound:
            deployment = None
        if deployment is not None:
            run["deployment"] = {
                k: deployment[k]
                for k in ("id", "name", "flow_name", "full_name", "entrypoint", "path", "source",
                          "job_variables", "work_pool_name")
            }  # fmt: skip
            run["job_variables"] = {**deployment["job_variables"], **run["job_variables"]}
    return run


__all__ = [
    "DEFAULT_QUEUE",
    "claim_runs",
    "create_pool",
    "create_queue",
    "delete_pool",
    "heartbeat_worker",
    "list_pools",
    "list_queues",
    "list_workers",
    "read_pool",
    "set_pool_paused",
    "set_queue_paused",
]
