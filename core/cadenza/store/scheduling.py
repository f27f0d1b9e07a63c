"""The scheduler's work on the record: create deployments' runs ahead, mark late runs.

`schedule_runs` creates, for each active schedule of each deployment that is not paused, the
runs of its next slots (up to `MAX_RUNS` ahead or `HORIZON` seconds, whichever comes first). It
is safe to run in several processes at once: each slot's run carries the idempotency key
``deployment:schedule:slot``, unique in ``flow_runs``, so a slot inserted twice is one run.

`mark_late` moves runs that have not started `late_after` seconds after their time to the
state Late; with a deployment's ``catchup`` off, the runs of slots missed while nothing ran
them are skipped (Cancelled, named Skipped) except the latest, and the scheduler never creates
slots in the past; with ``catchup`` on, every missed slot is created and runs, oldest first.

Both take ``now`` so that tests can move the clock.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from cadenza.orchestration import CORE_POLICY
from cadenza.orchestration.transitions import ROW_COLUMNS, propose
from cadenza.schedules import schedule_from_dict
from cadenza.states import State, StateDetails, StateType
from cadenza.store.deployments import SCHEDULED, create_flow_run, read_deployment
from cadenza.store.sql import load_runs, write_transitions
from cadenza.store.tables import deployment_schedules, deployments, flow_runs

MAX_RUNS = 100
"""At most this many future runs per schedule."""
HORIZON = 7 * 24 * 3600.0
"""Runs are created at most this many seconds ahead."""
_SLOT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def slot_key(deployment_id: str, schedule_id: str, when: float) -> str:
    """The idempotency key of a schedule's run at `when` (epoch seconds)."""
    slot = datetime.fromtimestamp(when, timezone.utc).strftime(_SLOT_FORMAT)
    return f"scheduled:{deployment_id}:{schedule_id}:{slot}"


def _due_schedules(conn: sa.Connection) -> list[Any]:
    return list(
        conn.execute(
            sa.select(
                deployment_schedules.c.id,
                deployment_schedules.c.schedule,
                deployment_schedules.c.parameters,
                deployment_schedules.c.created,
                deployments.c.id.label("deployment_id"),
                deployments.c.catchup,
            )
            .join(deployments, deployments.c.id == deployment_schedules.c.deployment_id)
            .where(deployment_schedules.c.active.is_(True), deployments.c.paused.is_(False))
            .order_by(deployment_schedules.c.id)
        )
    )


def schedule_runs(
    db: Any,
    now: float | None = None,
    max_runs: int = MAX_RUNS,
    horizon: float = HORIZON,
) -> int:
    """Create the next runs of every active schedule (see the module docstring) through `db`
    (a `cadenza.store.sql.SqlDatabase`), one write transaction per schedule; return how many
    runs were created."""
    now = time.time() if now is None else now
    with db.read() as conn:
        schedules = _due_schedules(conn)
    created = 0
    for item in schedules:
        with db.write() as conn:
            created += _schedule_one(conn, db.engine.dialect.name, item, now, max_runs, horizon)
    return created


def _schedule_one(
    conn: sa.Connection, dialect: str, item: Any, now: float, max_runs: int, horizon: float
) -> int:
    spec = schedule_from_dict(json.loads(item.schedule))
    mine = sa.and_(flow_runs.c.schedule_id == item.id, flow_runs.c.auto_scheduled.is_(True))
    last = conn.execute(sa.select(sa.func.max(flow_runs.c.expected_start_time)).where(mine))
    last_slot = last.scalar()
    future = conn.execute(
        sa.select(sa.func.count())
        .select_from(flow_runs)
        .where(mine, flow_runs.c.state_type == SCHEDULED, flow_runs.c.expected_start_time > now)
    ).scalar_one()
    wanted = max_runs - future
    if wanted <= 0:
        return 0
    if last_slot is None:  # a new schedule: its first slot is the next one from now
        start = now
    elif item.catchup:  # every slot after the last one made, missed or not
        start = last_slot
    else:  # never a slot in the past
        start = max(last_slot, now)
    after = datetime.fromtimestamp(start, timezone.utc)
    until = datetime.fromtimestamp(now + horizon, timezone.utc)
    times = [t.timestamp() for t in spec.next_times(after, until=until, n=wanted)]
    if not times:
        return 0
    deployment = read_deployment(conn, item.deployment_id)
    parameters = json.loads(item.parameters) if item.parameters else {}
    made = 0
    for when in times:
        _, inserted = create_flow_run(
            conn, deployment, dialect=dialect, parameters=parameters, scheduled_time=when,
            idempotency_key=slot_key(item.deployment_id, item.id, when), schedule_id=item.id,
            now=now,
        )  # fmt: skip
        made += inserted
    return made


def mark_late(db: Any, now: float | None = None) -> dict[str, int]:
    """Mark Late the runs that have not started `late_after` seconds after their time, and
    skip the missed ones of deployments whose catchup is off (see the module docstring).
    Returns ``{"late": n, "skipped": m}``."""
    now = time.time() if now is None else now
    late = skipped = 0
    with db.write() as conn:
        overdue = conn.execute(
            sa.select(
                flow_runs.c.id,
                flow_runs.c.deployment_id,
                flow_runs.c.expected_start_time,
                flow_runs.c.state_name,
                flow_runs.c.auto_scheduled,
                deployments.c.catchup,
            )
            .join(deployments, deployments.c.id == flow_runs.c.deployment_id)
            .where(
                flow_runs.c.state_type == SCHEDULED,
                flow_runs.c.expected_start_time < now - deployments.c.late_after,
            )
            .order_by(flow_runs.c.deployment_id, flow_runs.c.expected_start_time)
            .limit(5000)
        ).all()
        if not overdue:
            return {"late": 0, "skipped": 0}
        latest: dict[str, float] = {}
        for row in overdue:
            previous = latest.get(row.deployment_id, 0.0)
            latest[row.deployment_id] = max(previous, row.expected_start_time)
        runs = load_runs(conn, flow_runs, "flow", [row.id for row in overdue])
        rows: list[dict[str, Any]] = []
        for row in overdue:
            run = runs.get(row.id)
            # read again under the row lock: a run claimed since the first read (Pending now)
            # must not be made Scheduled (Late) again, or a second worker could claim it
            if run is None or run.state_type != SCHEDULED:
                continue
            due = row.expected_start_time
            if row.auto_scheduled and not row.catchup and due < latest[row.deployment_id]:
                missed = datetime.fromtimestamp(due, timezone.utc).isoformat(timespec="seconds")
                state = State(
                    StateType.CANCELLED, "Skipped",
                    f"Skipped: its slot ({missed}) was missed and a later one is due; "
                    "the deployment's catchup is off",
                    ts=now,
                )  # fmt: skip
                tid, counter = "skipped", "skipped"
            elif row.state_name != "Late":
                state = State(
                    StateType.SCHEDULED, "Late", None,
                    state_details=StateDetails(scheduled_time=due), ts=now,
                )  # fmt: skip
                tid, counter = "late", "late"
            else:
                continue
            _, made = propose(CORE_POLICY, run, state, tid)
            if made is None:
                continue
            rows.append(dict(zip(ROW_COLUMNS, made[:8], strict=True)))
            if counter == "late":
                late += 1
            else:
                skipped += 1
        write_transitions(conn, rows, [r for r in runs.values() if r.dirty])
    return {"late": late, "skipped": skipped}


__all__ = ["HORIZON", "MAX_RUNS", "mark_late", "schedule_runs", "slot_key"]
