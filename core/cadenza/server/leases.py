"""Leases of flow runs: renewed by their processes' heartbeats, reaped when they expire.

A process that records a flow run on the server gives it a lease when it creates it and renews
it with heartbeats (`cadenza.backends.heartbeat`) while the run is active. `renew` extends the
leases of active runs and names those already final (a heartbeat after a terminal state changes
nothing). `reap` marks each active run whose lease has expired Crashed — through the one
transition function, with a transition id made from the lease, so two reapers (two server
processes on one database) apply it once — and its unfinished task runs with it.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cadenza.orchestration import CORE_POLICY
from cadenza.orchestration.transitions import ROW_COLUMNS, propose
from cadenza.states import TERMINAL_STATES, State, StateType
from cadenza.store.sql import load_runs, write_transitions
from cadenza.store.tables import flow_runs, task_runs

if TYPE_CHECKING:
    from cadenza.server.store import Store

_FINAL = tuple(t.value for t in TERMINAL_STATES)
_BATCH = 200  # expired runs crashed per transaction
# not final; a run with no state yet counts (SQL's NULL NOT IN (...) is not true)
_ACTIVE = sa.or_(flow_runs.c.state_type.is_(None), flow_runs.c.state_type.not_in(_FINAL))
# A suspended run's process exited on purpose: its lease lapses, it did not crash
# (cadenza.store.pause fails it once its suspension times out).
_NOT_SUSPENDED = sa.or_(
    flow_runs.c.state_type != StateType.PAUSED.value,
    flow_runs.c.state_name.is_(None),
    flow_runs.c.state_name != "Suspended",
)


def renew(store: Store, run_ids: list[str], lease_seconds: float) -> dict[str, list[str]]:
    """Extend the lease of each active run in `run_ids` to now + `lease_seconds`.

    Returns ``{"renewed": [...], "final": [...], "unknown": [...]}``."""
    ids = sorted(set(run_ids))
    with store._write() as conn:
        found = dict(
            conn.execute(
                sa.select(flow_runs.c.id, flow_runs.c.state_type).where(flow_runs.c.id.in_(ids))
            ).all()
        )
        renewed = [i for i in ids if i in found and found[i] not in _FINAL]
        if renewed:
            conn.execute(
                flow_runs.update()
                .where(flow_runs.c.id.in_(renewed), _ACTIVE)
                .values(lease_expires=time.time() + lease_seconds)
            )
    return {
        "renewed": renewed,
        "final": [i for i in ids if i in found and found[i] in _FINAL],
        "unknown": [i for i in ids if i not in found],
    }


def reap(store: Store, now: float | None = None) -> list[str]:
    """Mark Crashed every active flow run whose lease expired before `now`; return their ids."""
    now = time.time() if now is None else now
    store.sightings.prune(now)
    crashed: list[str] = []
    while True:
        batch = _reap_batch(store, now)
        crashed.extend(batch)
        if len(batch) < _BATCH:
            return crashed


def _reap_batch(store: Store, now: float) -> list[str]:
    crashed = []
    with store._write() as conn:
        expired = conn.execute(
            sa.select(
                flow_runs.c.id,
                flow_runs.c.lease_expires,
                flow_runs.c.pid,
                flow_runs.c.hostname,
            )
            .where(
                flow_runs.c.lease_expires < now,
                _ACTIVE,
                _NOT_SUSPENDED,
            )
            .order_by(flow_runs.c.id)
            .limit(_BATCH)
        ).all()
        if not expired:
            return []
        seen = {row.id: store.sightings.alive_until(row.id) for row in expired}
        for run_id, until in seen.items():  # seen alive, its renewal still waiting: spared
            if until > now:
                conn.execute(
                    flow_runs.update().where(flow_runs.c.id == run_id).values(lease_expires=until)
                )
        expired = [row for row in expired if seen[row.id] <= now]
        runs = load_runs(conn, flow_runs, "flow", [row.id for row in expired])
        rows: list[dict[str, Any]] = []
        for row in expired:
            run = runs.get(row.id)
            if run is None:
                continue
            message = _message(row.pid, row.hostname, row.lease_expires)
            tid = f"lease-expired:{row.lease_expires!r}"
            _, made = propose(CORE_POLICY, run, _ended(run.state_type, message, now), tid)
            if made is None:
                continue
            rows.append(dict(zip(ROW_COLUMNS, made[:8], strict=True)))
            crashed.append(row.id)
        tasks = _unfinished_tasks(conn, store, crashed)
        for task in tasks.values():
            tid = f"flow-run-crashed:{task.flow_run_id}"
            message = "Its flow run crashed: the process running it stopped sending heartbeats"
            _, made = propose(CORE_POLICY, task, _crashed(message, now), tid)
            if made is not None:
                rows.append(dict(zip(ROW_COLUMNS, made[:8], strict=True)))
        write_transitions(conn, rows, [*runs.values(), *tasks.values()])
        if crashed:
            conn.execute(
                flow_runs.update().where(flow_runs.c.id.in_(crashed)).values(lease_expires=None)
            )
    return crashed


def _unfinished_tasks(conn: sa.Connection, store: Store, flow_run_ids: list[str]) -> dict:
    if not flow_run_ids:
        return {}
    ids = [
        r.id
        for r in conn.execute(
            sa.select(task_runs.c.id).where(
                task_runs.c.flow_run_id.in_(flow_run_ids),
                sa.or_(task_runs.c.state_type.is_(None), task_runs.c.state_type.not_in(_FINAL)),
            )
        )
    ]
    return load_runs(conn, task_runs, "task", ids)


def _ended(state_type: str | None, message: str, now: float) -> State:
    """Crashed; Cancelled for a run asked to stop (Cancelling) whose process is gone."""
    if state_type == StateType.CANCELLING.value:
        message = f"Flow run was cancelled: its process stopped before acknowledging ({message})"
        return State(StateType.CANCELLED, None, message, ts=now)
    return _crashed(message, now)


def _crashed(message: str, now: float) -> State:
    return State(StateType.CRASHED, None, message, ts=now)


def _message(pid: int | None, hostname: str | None, expired: float) -> str:
    who = f"process {pid} on {hostname}" if pid is not None else "the process running it"
    when = datetime.fromtimestamp(expired, timezone.utc).isoformat(timespec="seconds")
    return f"No heartbeat from {who}: its lease expired at {when}"


__all__ = ["reap", "renew"]
