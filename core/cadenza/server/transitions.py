"""Deciding proposed transitions against runs loaded from the record, as the embedded one does.

`RunRecord` is the part of a flow or task run row that orchestration reads and changes. `apply`
asks the core policy about one proposal and, when it is accepted, changes the record the way
`cadenza.backends.recording.Recorder.propose` changes an in-memory run, returning the
``run_states`` row to insert. Storage (loading, locking, writing) is `cadenza.server.store`'s.
"""

from __future__ import annotations

import json
from typing import Any

from cadenza.backends.recording import _details_json
from cadenza.orchestration import CORE_POLICY, Decision, DecisionKind, RunInfo
from cadenza.states import TERMINAL_STATES, State, StateDetails, StateType

ALREADY_APPLIED = "transition already applied"
_DETAIL_KEYS = ("scheduled_time", "retry_count", "cache_key")


class RunRecord:
    """A run's orchestration fields, as loaded; `dirty` once an accepted transition changed it."""

    __slots__ = (
        "details",
        "dirty",
        "end_time",
        "flow_run_id",
        "id",
        "kind",
        "result_ref",
        "retries",
        "run_count",
        "start_time",
        "state_message",
        "state_name",
        "state_type",
    )

    def __init__(self, kind: str, row: Any) -> None:
        self.kind = kind  # "flow" or "task"
        self.id = row.id
        self.flow_run_id = row.id if kind == "flow" else row.flow_run_id
        self.state_type: str | None = row.state_type
        self.state_name: str | None = row.state_name
        self.state_message: str | None = row.state_message
        self.start_time: float | None = row.start_time
        self.end_time: float | None = row.end_time
        self.run_count: int = row.run_count or 0
        self.retries: int = row.retries or 0
        self.result_ref: str | None = row.result_ref
        self.details: dict[str, Any] | None = None  # the current state's, when it matters
        self.dirty = False

    def current_state(self) -> State | None:
        if self.state_type is None:
            return None
        return State(
            StateType(self.state_type),
            self.state_name,
            self.state_message,
            state_details=_details(self.details),
        )

    def values(self) -> dict[str, Any]:
        """The columns an accepted transition changes, keyed for an UPDATE."""
        return {
            "b_id": self.id,
            "state_type": self.state_type,
            "state_name": self.state_name,
            "state_message": self.state_message,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "run_count": self.run_count,
            "result_ref": self.result_ref,
        }


def needs_details(run: RunRecord) -> bool:
    """Whether deciding from `run`'s current state reads its details (a scheduled time)."""
    return run.state_type == StateType.SCHEDULED.value


def load_details(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _details(details: dict[str, Any] | None) -> StateDetails | None:
    if not details:
        return None
    return StateDetails(**{k: details[k] for k in _DETAIL_KEYS if details.get(k) is not None})


def proposed_state(state: Any) -> State:
    """A `State` from a request's state (an object with type, name, message, ...)."""
    return State(
        StateType(state.type),
        state.name,
        state.message,
        state_details=_details(state.details.model_dump() if state.details else None),
        ts=state.timestamp,
        result_ref=state.result_ref,
    )


def apply(
    run: RunRecord, transition_id: str, run_count: int | None, state: Any
) -> tuple[Decision, dict[str, Any] | None]:
    """Decide `state` for `run`; on ACCEPT change `run` and return the run_states row too."""
    proposed = proposed_state(state)
    info = RunInfo(run.id, run.kind, run.retries, run.run_count if run_count is None else run_count)
    decision = CORE_POLICY.decide(info, run.current_state(), proposed)
    if decision.kind is not DecisionKind.ACCEPT:
        return decision, None
    if run_count is not None:
        run.run_count = run_count
    run.state_type = proposed.type.value
    run.state_name = proposed.name
    run.state_message = proposed.message
    run.details = state.details.model_dump(exclude_none=True) if state.details else None
    ts = proposed.ts
    if proposed.type is StateType.RUNNING:
        if run.start_time is None:
            run.start_time = ts
    elif proposed.type in TERMINAL_STATES:
        run.end_time = ts
        if proposed.result_ref is not None:
            run.result_ref = proposed.result_ref
    run.dirty = True
    details = tuple.__getitem__(proposed, 4)
    row = {
        "transition_id": transition_id,
        "run_id": run.id,
        "flow_run_id": run.flow_run_id,
        "type": proposed.type.value,
        "name": proposed.name,
        "message": proposed.message,
        "timestamp": ts,
        "details": _details_json(details) if details is not None else None,
    }
    return decision, row


def unknown_run(kind: str, run_id: str) -> Decision:
    return Decision(DecisionKind.ABORT, f"no {kind} run with id {run_id!r}")
