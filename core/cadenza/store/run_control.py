"""Cancelling flow runs in the record: the request, its cascade, and its deadline.

Cancellation is a protocol between whoever asks (`cadenza runs cancel`, the API, an automation)
and the process running the flow:

1. `cancel_flow_run` moves an active run to Cancelling — or straight to Cancelled when nothing
   is running it yet (Scheduled, a Pending run no worker claimed, a Suspended run whose process
   exited) — and does the same to its active subflow runs, recursively.
2. The process running it sees Cancelling within a second (`cadenza.engine.cancellation` polls
   the recorded state), stops, and reports Cancelled itself.
3. A run left Cancelling longer than the grace period (``CADENZA_CANCELLATION_GRACE``) is ended
   here by `expire_cancellations` (the server's reaper calls it): Cancelled, saying that its
   process did not acknowledge. A worker kills its child at the same deadline.

Every change goes through the one transition function, with transition ids derived from the
request, so two servers applying one request apply it once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from cadenza.orchestration import CORE_POLICY
from cadenza.orchestration.transitions import ROW_COLUMNS, propose
from cadenza.states import TERMINAL_STATES, State, StateType
from cadenza.store.sql import CHUNK, SqlDatabase, load_runs, write_transitions
from cadenza.store.tables import flow_runs, run_states, task_runs

_FINAL = tuple(t.value for t in TERMINAL_STATES)
_CANCELLING = StateType.CANCELLING.value
#: How deep a cascade to subflows goes (a cycle of parent ids cannot loop forever).
MAX_DEPTH = 64


class NoSuchRun(LookupError):
    """No flow run with this id is recorded."""


def flow_run_states(
    db: SqlDatabase, run_ids: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """The recorded (state type, state name) of each of `run_ids` the record holds."""
    ids = list(dict.fromkeys(run_ids))
    found: dict[str, tuple[str | None, str | None]] = {}
    with db.read() as conn:
        for start in range(0, len(ids), CHUNK):
            rows = conn.execute(
                sa.select(flow_runs.c.id, flow_runs.c.state_type, flow_runs.c.state_name).where(
                    flow_runs.c.id.in_(ids[start : start + CHUNK])
                )
            )
            found.update((row.id, (row.state_type, row.state_name)) for row in rows)
    return found


def cancel_flow_run(
    db: SqlDatabase,
    run_id: str,
    reason: str | None = None,
    now: float | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Ask flow run `run_id` and its active subflow runs to stop (see the module docstring).

    With `force` (a worker that killed the run's process), every one of them is Cancelled at
    once, with its unfinished task runs, whatever runs it.

    Returns ``{"id", "state": {"type", "name", "message"}, "cancelling": [...], "cancelled":
    [...], "final": bool}`` — ``final`` when the run had already ended (nothing changed).
    Raises `NoSuchRun`.
    """
    now = time.time() if now is None else now
    why = f": {reason}" if reason else ""
    with db.write() as conn:
        root = load_runs(conn, flow_runs, "flow", [run_id]).get(run_id)
        if root is None:
            raise NoSuchRun(f"no flow run with id {run_id!r} is recorded")
        before = {"type": root.state_type, "name": root.state_name, "message": root.state_message}
        if root.state_type in _FINAL:
            return _answer(run_id, before, [], [], final=True)
        runs = {run_id: root}
        frontier = [run_id]
        for _ in range(MAX_DEPTH):
            children = _active_children(conn, frontier, runs)
            if not children:
                break
            runs.update(load_runs(conn, flow_runs, "flow", children))
            frontier = children
        claimed = _claimed(conn, list(runs))
        rows: list[dict[str, Any]] = []
        cancelling: list[str] = []
        cancelled: list[str] = []
        tid = f"cancel{'-forced' if force else ''}:{now!r}"
        for rid, run in runs.items():
            idle = force or _nothing_runs_it(run.state_type, run.state_name, rid in claimed)
            if idle:
                state = State(StateType.CANCELLED, None, f"Flow run was cancelled{why}", ts=now)
            elif run.state_type == _CANCELLING:
                continue  # asked already: its deadline stands
            else:
                state = State(StateType.CANCELLING, None, f"Cancellation requested{why}", ts=now)
            _, made = propose(CORE_POLICY, run, state, tid)
            if made is None:
                continue
            rows.append(dict(zip(ROW_COLUMNS, made[:8], strict=True)))
            (cancelled if idle else cancelling).append(rid)
        tasks = _unfinished_tasks(conn, cancelled)
        for task in tasks.values():
            made = _end_task(task, "Its flow run was cancelled before it ran", now)
            if made is not None:
                rows.append(made)
        write_transitions(conn, rows, [*runs.values(), *tasks.values()])
    return _answer(run_id, before, cancelling, cancelled, final=False)


def expire_cancellations(db: SqlDatabase, grace: float, now: float | None = None) -> list[str]:
    """End as Cancelled each run left Cancelling for longer than `grace` seconds (its process
    did not acknowledge: it hangs, or died), with its unfinished task runs; return their ids."""
    now = time.time() if now is None else now
    with db.write() as conn:
        asked = _cancelling_since(conn)
        late = [rid for rid, since in asked.items() if since is not None and since + grace < now]
        late += [rid for rid, since in asked.items() if since is None]
        if not late:
            return []
        runs = load_runs(conn, flow_runs, "flow", late)
        rows: list[dict[str, Any]] = []
        ended: list[str] = []
        for rid, run in runs.items():
            message = (
                f"Flow run was cancelled: its process did not acknowledge the cancellation "
                f"within {grace:g} s (CADENZA_CANCELLATION_GRACE), so it was marked Cancelled "
                "without it"
            )
            state = State(StateType.CANCELLED, None, message, ts=now)
            _, made = propose(CORE_POLICY, run, state, f"cancel-expired:{asked[rid]!r}")
            if made is not None:
                rows.append(dict(zip(ROW_COLUMNS, made[:8], strict=True)))
                ended.append(rid)
        tasks = _unfinished_tasks(conn, ended)
        for task in tasks.values():
            made = _end_task(task, "Its flow run was cancelled", now)
            if made is not None:
                rows.append(made)
        write_transitions(conn, rows, [*runs.values(), *tasks.values()])
        if ended:
            conn.execute(
                flow_runs.update().where(flow_runs.c.id.in_(ended)).values(lease_expires=None)
            )
    return ended


def cancelling_since(db: SqlDatabase, run_ids: Sequence[str]) -> dict[str, float | None]:
    """For each of `run_ids` that is Cancelling: when it was asked to (None if unknown)."""
    with db.read() as conn:
        return _cancelling_since(conn, list(run_ids))


# -- helpers -------------------------------------------------------------------------------------


def _nothing_runs_it(state_type: str | None, state_name: str | None, claimed: bool) -> bool:
    """True when no process is running the run: it can be Cancelled at once."""
    if state_type in (None, StateType.SCHEDULED.value):
        return True
    if state_type == StateType.PENDING.value:
        return not claimed
    return state_type == StateType.PAUSED.value and state_name == "Suspended"


def _claimed(conn: sa.Connection, run_ids: list[str]) -> set[str]:
    """The runs among `run_ids` that a process holds: a worker claimed it, or it has a lease
    or a pid (a process created it and reports to the record)."""
    held: set[str] = set()
    for start in range(0, len(run_ids), CHUNK):
        rows = conn.execute(
            sa.select(flow_runs.c.id).where(
                flow_runs.c.id.in_(run_ids[start : start + CHUNK]),
                sa.or_(
                    flow_runs.c.worker_name.is_not(None),
                    flow_runs.c.lease_expires.is_not(None),
                    flow_runs.c.pid.is_not(None),
                ),
            )
        )
        held.update(row.id for row in rows)
    return held


def _active_children(conn: sa.Connection, parents: list[str], seen: dict) -> list[str]:
    found: list[str] = []
    for start in range(0, len(parents), CHUNK):
        rows = conn.execute(
            sa.select(flow_runs.c.id).where(
                flow_runs.c.parent_flow_run_id.in_(parents[start : start + CHUNK]),
                sa.or_(flow_runs.c.state_type.is_(None), flow_runs.c.state_type.not_in(_FINAL)),
            )
        )
        found.extend(row.id for row in rows if row.id not in seen)
    return found


def _cancelling_since(conn: sa.Connection, run_ids: list[str] | None = None) -> dict:
    """Cancelling flow runs (all, or those of `run_ids`) -> when they entered Cancelling."""
    query = sa.select(flow_runs.c.id).where(flow_runs.c.state_type == _CANCELLING)
    if run_ids is not None:
        query = query.where(flow_runs.c.id.in_(run_ids[:CHUNK]))
    ids = [row.id for row in conn.execute(query.limit(1000))]
    since: dict[str, float | None] = dict.fromkeys(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = conn.execute(
            sa.select(run_states.c.run_id, sa.func.max(run_states.c.timestamp).label("at"))
            .where(run_states.c.run_id.in_(chunk), run_states.c.type == _CANCELLING)
            .group_by(run_states.c.run_id)
        )
        since.update((row.run_id, row.at) for row in rows)
    return since


def _unfinished_tasks(conn: sa.Connection, flow_run_ids: list[str]) -> dict:
    ids: list[str] = []
    for start in range(0, len(flow_run_ids), CHUNK):
        ids.extend(
            row.id
            for row in conn.execute(
                sa.select(task_runs.c.id).where(
                    task_runs.c.flow_run_id.in_(flow_run_ids[start : start + CHUNK]),
                    sa.or_(task_runs.c.state_type.is_(None), task_runs.c.state_type.not_in(_FINAL)),
                )
            )
        )
    return load_runs(conn, task_runs, "task", ids)


def _end_task(task: Any, message: str, now: float) -> dict[str, Any] | None:
    state = State(StateType.CANCELLED, None, message, ts=now)
    _, made = propose(CORE_POLICY, task, state, f"flow-run-cancelled:{task.flow_run_id}")
    return None if made is None else dict(zip(ROW_COLUMNS, made[:8], strict=True))


def _answer(
    run_id: str, before: dict[str, Any], cancelling: list[str], cancelled: list[str], final: bool
) -> dict[str, Any]:
    return {
        "id": run_id,
        "state": before,
        "cancelling": cancelling,
        "cancelled": cancelled,
        "final": final,
    }


__all__ = [
    "MAX_DEPTH",
    "NoSuchRun",
    "cancel_flow_run",
    "cancelling_since",
    "expire_cancellations",
    "flow_run_states",
]
