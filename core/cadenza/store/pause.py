"""Paused flow runs in the record: resuming them, their inputs, and suspensions that timed out.

`cadenza.flow_runs.pause_flow_run` moves a run to Paused (its process waits) and
`suspend_flow_run` to Paused named Suspended (its process exits). The state's details carry the
pause's key, its deadline (``pause_timeout``, epoch seconds), whether resuming reschedules the
run (``pause_reschedule``) and, when the run waits for input, the keys of its input rows
(``run_input_keyset``: the JSON schema of the input, its description, the response).

`resume_flow_run` is the one way back, used by the server's route and by ``cadenza runs
resume-paused`` on the embedded record alike. In one transaction it checks the run is paused and
not past its deadline, validates the input against the schema the paused run saved (refusing,
with each field named, what does not fit: the run stays Paused), writes the input as the pause's
response row and moves the run on through the one transition function: back to Running (its
process, which polls its state, goes on) or, for a suspended run, to Scheduled named Resuming
(a worker claims it and runs the flow again). The response row is written even without input:
its presence tells a run that passes the same pause again (a suspended run, run anew) that this
pause was resumed already.

Inputs are JSON values in ``flow_run_inputs`` (unique per run and key), at most
4 MiB each as stored; text that is not valid Unicode (a lone surrogate) is refused
(`cadenza.store.input_values`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cadenza._ids import new_id
from cadenza.exceptions import (
    FlowPauseTimeout,
    InvalidRunInput,
    NotPausedError,
    ObjectAlreadyExists,
    ObjectNotFound,
)
from cadenza.orchestration import CORE_POLICY
from cadenza.orchestration.transitions import ROW_COLUMNS, propose
from cadenza.states import State, StateDetails, StateType
from cadenza.store.input_values import check_key, encode_value, validate
from cadenza.store.sql import CHUNK, SqlDatabase, load_runs, write_transitions
from cadenza.store.tables import flow_run_inputs, flow_runs, run_states

_PAUSED = StateType.PAUSED.value
_SUSPENDED = "Suspended"


# -- inputs ----------------------------------------------------------------------------------------


def create_input(db: SqlDatabase, flow_run_id: str, key: str, value: Any,
                 sender: str | None = None, replace: bool = False) -> dict[str, Any]:  # fmt: skip
    """Store input `key` of flow run `flow_run_id`; `ObjectAlreadyExists` if it has one (unless
    `replace`), `ObjectNotFound` for an unknown run."""
    check_key(key)
    text = encode_value(value)
    row = {"id": new_id(), "flow_run_id": flow_run_id, "key": key, "value": text,
           "sender": sender, "created": time.time()}  # fmt: skip
    try:
        with db.write() as conn:
            _require_run(conn, flow_run_id)
            if replace:
                conn.execute(_where_key(flow_run_inputs.delete(), flow_run_id, key))
            conn.execute(flow_run_inputs.insert(), [row])
    except IntegrityError:
        raise ObjectAlreadyExists(f"flow run {flow_run_id} has an input {key!r} already") from None
    return _out(row)


def read_input(db: SqlDatabase, flow_run_id: str, key: str) -> dict[str, Any] | None:
    """Input `key` of the run (``{"id", "flow_run_id", "key", "value", "sender", "created"}``,
    the value decoded), or None."""
    with db.read() as conn:
        row = conn.execute(_where_key(sa.select(flow_run_inputs), flow_run_id, key)).first()
    return None if row is None else _out(row._asdict())


def delete_input(db: SqlDatabase, flow_run_id: str, key: str) -> bool:
    """Delete input `key` of the run; False if there was none."""
    with db.write() as conn:
        deleted = conn.execute(_where_key(flow_run_inputs.delete(), flow_run_id, key)).rowcount
    return bool(deleted)


def filter_inputs(db: SqlDatabase, flow_run_id: str, key_prefix: str, limit: int = 1,
                  exclude_keys: Iterable[str] = ()) -> list[dict[str, Any]]:  # fmt: skip
    """The run's inputs whose key starts with `key_prefix`, oldest first, at most `limit`."""
    escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = sa.select(flow_run_inputs).where(
        flow_run_inputs.c.flow_run_id == flow_run_id,
        flow_run_inputs.c.key.like(escaped + "%", escape="\\"),
    )
    excluded = list(exclude_keys)
    if excluded:
        query = query.where(flow_run_inputs.c.key.not_in(excluded[:CHUNK]))
    query = query.order_by(flow_run_inputs.c.created, flow_run_inputs.c.id).limit(limit)
    with db.read() as conn:
        return [_out(row._asdict()) for row in conn.execute(query)]


# -- resuming --------------------------------------------------------------------------------------


def resume_flow_run(db: SqlDatabase, run_id: str, run_input: dict[str, Any] | None = None,
                    now: float | None = None) -> dict[str, Any]:  # fmt: skip
    """Resume paused flow run `run_id` with `run_input` (see the module docstring).

    Returns ``{"id", "state": {"type", "name"}, "input_key"}``. Raises `ObjectNotFound`,
    `NotPausedError`, `FlowPauseTimeout` (past the pause's deadline) or `InvalidRunInput` (the
    run stays Paused).
    """
    now = time.time() if now is None else now
    if run_input is not None and not isinstance(run_input, dict):
        raise InvalidRunInput([((), "must be a JSON object of field names and values")])
    with db.write() as conn:
        outcome = _resume(conn, run_id, run_input, now)
    if isinstance(outcome, FlowPauseTimeout):  # raised once the expiry is written
        raise outcome
    return dict(outcome)


def _resume(conn: sa.Connection, run_id: str, run_input: Any, now: float) -> Any:
    run = load_runs(conn, flow_runs, "flow", [run_id]).get(run_id)
    if run is None:
        raise ObjectNotFound(f"no flow run with id {run_id!r} is recorded")
    if run.state_type != _PAUSED:
        raise NotPausedError(
            f"Flow run {run_id} is {run.state_name or 'not started'}, not paused: only a "
            "paused flow run can be resumed"
        )
    paused_id, paused_at, details = _pause(conn, run_id)
    deadline = details.get("pause_timeout")
    if deadline is not None and deadline < now:
        if run.state_name == _SUSPENDED:  # no process waits to fail it: done here
            _expire(conn, run, paused_id, paused_at, details, now)
        why = _never_resumed(details, paused_at)
        return FlowPauseTimeout(f"Flow run {run_id} can no longer be resumed: it {why}")
    keyset = details.get("run_input_keyset") or {}
    if keyset and run_input is None:
        run_input = {}
    text = encode_value(run_input)  # first: what is not storable is never validated
    if keyset:
        schema = conn.execute(
            _where_key(sa.select(flow_run_inputs.c.value), run_id, keyset["schema"])
        ).first()
        validate(schema.value if schema is not None else None, run_input)
    key = keyset.get("response") or _response_key(run.state_name, details.get("pause_key"))
    conn.execute(_where_key(flow_run_inputs.delete(), run_id, key))
    conn.execute(
        flow_run_inputs.insert(),
        [{"id": new_id(), "flow_run_id": run_id, "key": key, "value": text, "sender": None,
          "created": now}],
    )  # fmt: skip
    reschedule = bool(details.get("pause_reschedule"))
    if reschedule:
        state = State(StateType.SCHEDULED, "Resuming", None,
                      state_details=StateDetails(scheduled_time=now), ts=now)  # fmt: skip
    else:
        state = State(StateType.RUNNING, "Running", None, ts=now)
    decision, made = propose(CORE_POLICY, run, state, f"resume:{paused_id}")
    if made is None:
        raise NotPausedError(f"Flow run {run_id} cannot be resumed: {decision.reason}")
    write_transitions(conn, [dict(zip(ROW_COLUMNS, made[:8], strict=True))], [run])
    if reschedule:  # nothing runs it now: a worker claims it, none may think it crashed
        conn.execute(
            flow_runs.update()
            .where(flow_runs.c.id == run_id)
            .values(
                expected_start_time=now,
                worker_name=None,
                lease_expires=None,
                pid=None,
                hostname=None,
                process_start=None,
            )
        )
    return {"id": run_id, "state": {"type": state.type.value, "name": state.name},
            "input_key": key}  # fmt: skip


def expire_suspensions(db: SqlDatabase, now: float | None = None) -> list[str]:
    """Mark Failed each suspended flow run past its pause's deadline; return their ids. (A
    paused run whose process waits is failed by that process, which raises `FlowPauseTimeout`.)"""
    now = time.time() if now is None else now
    with db.write() as conn:
        suspended = [
            row.id
            for row in conn.execute(
                sa.select(flow_runs.c.id)
                .where(flow_runs.c.state_type == _PAUSED, flow_runs.c.state_name == _SUSPENDED)
                .limit(CHUNK)
            )
        ]
        if not suspended:
            return []
        pauses = _pauses(conn, suspended)
        late = [
            rid
            for rid, (_, _, details) in pauses.items()
            if details.get("pause_timeout") is not None and details["pause_timeout"] < now
        ]
        if not late:
            return []
        runs = load_runs(conn, flow_runs, "flow", late)
        ended = [rid for rid, run in runs.items() if _expire(conn, run, *pauses[rid], now)]
    return ended


# -- helpers ---------------------------------------------------------------------------------------


def pause_details(db: SqlDatabase, run_id: str) -> dict[str, Any]:
    """The details of the run's latest Paused state (empty if it never paused)."""
    with db.read() as conn:
        return _pause(conn, run_id)[2]


def _pause(conn: sa.Connection, run_id: str) -> tuple[int | None, float, dict[str, Any]]:
    """(row id, timestamp, details) of the run's latest Paused state."""
    row = conn.execute(
        sa.select(run_states.c.id, run_states.c.timestamp, run_states.c.details)
        .where(run_states.c.run_id == run_id, run_states.c.type == _PAUSED)
        .order_by(run_states.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, time.time(), {}
    return row.id, row.timestamp, _loads(row.details)


def _pauses(conn: sa.Connection, run_ids: list[str]) -> dict[str, tuple[int, float, Any]]:
    latest = (
        sa.select(sa.func.max(run_states.c.id))
        .where(run_states.c.run_id.in_(run_ids), run_states.c.type == _PAUSED)
        .group_by(run_states.c.run_id)
    )
    rows = conn.execute(
        sa.select(
            run_states.c.run_id, run_states.c.id, run_states.c.timestamp, run_states.c.details
        ).where(run_states.c.id.in_(latest))
    )
    return {row.run_id: (row.id, row.timestamp, _loads(row.details)) for row in rows}


def _expire(conn: sa.Connection, run: Any, paused_id: int | None, paused_at: float,
            details: dict[str, Any], now: float) -> bool:  # fmt: skip
    message = f"Flow run {_never_resumed(details, paused_at)}"
    state = State(StateType.FAILED, None, message, ts=now)
    _, made = propose(CORE_POLICY, run, state, f"pause-expired:{paused_id}")
    if made is None:
        return False
    write_transitions(conn, [dict(zip(ROW_COLUMNS, made[:8], strict=True))], [run])
    conn.execute(flow_runs.update().where(flow_runs.c.id == run.id).values(lease_expires=None))
    return True


def _never_resumed(details: dict[str, Any], paused_at: float) -> str:
    deadline = details.get("pause_timeout") or paused_at
    how = "suspended" if details.get("pause_reschedule") else "paused"
    when = datetime.fromtimestamp(deadline, timezone.utc).isoformat(timespec="seconds")
    within = round(deadline - paused_at, 3)
    return f"was {how} and never resumed within {within:g} s (timed out at {when})"


def _response_key(state_name: str | None, pause_key: Any) -> str:
    """The key of a pause's response row: ``paused-<key>-response`` (as Prefect names it)."""
    return f"{(state_name or 'paused').lower()}-{pause_key}-response"


def _require_run(conn: sa.Connection, run_id: str) -> None:
    found = conn.execute(sa.select(flow_runs.c.id).where(flow_runs.c.id == run_id)).first()
    if found is None:
        raise ObjectNotFound(f"no flow run with id {run_id!r} is recorded")


def _where_key(statement: Any, flow_run_id: str, key: str) -> Any:
    return statement.where(flow_run_inputs.c.flow_run_id == flow_run_id,
                           flow_run_inputs.c.key == key)  # fmt: skip


def _out(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "flow_run_id", "key", "sender", "created")}
    out["value"] = json.loads(row["value"])
    return out


def _loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


__all__ = [
    "create_input",
    "delete_input",
    "expire_suspensions",
    "filter_inputs",
    "pause_details",
    "read_input",
    "resume_flow_run",
]
