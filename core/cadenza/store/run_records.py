"""Deciding proposed transitions against runs loaded from the record, as every backend does.

`RunRecord` is the part of a flow or task run row that orchestration reads and changes, shaped
like the engine's runs (a `state`, start and end times, a result reference), so `apply` hands it
to `cadenza.orchestration.transitions.propose` — the one function every backend uses — and
returns the ``run_states`` row to insert. Storage (loading, locking, writing) is
`cadenza.server.store`'s.
"""

from __future__ import annotations

import json
from typing import Any

from cadenza.orchestration import CORE_POLICY, Decision, DecisionKind, Policy
from cadenza.orchestration.transitions import ROW_COLUMNS, propose
from cadenza.states import State, StateDetails, StateType

ALREADY_APPLIED = "transition already applied"
FORCED = Policy(())
"""No rules: a forced transition is accepted whatever the run's state."""
_DETAIL_KEYS = ("scheduled_time", "retry_count", "cache_key", "pause_timeout", "pause_key",
                "pause_reschedule", "run_input_keyset")  # fmt: skip


class RunRecord:
    """A run's orchestration fields, as loaded; `dirty` once an accepted transition changed it."""

    __slots__ = (
        "_state",
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
        self._state: State | None = None
        self.dirty = False

    @property
    def state(self) -> State | None:
        """The current state, made from the row's columns (and `details`) on first read."""
        if self._state is None and self.state_type is not None:
            self._state = State(
                StateType(self.state_type),
                self.state_name,
                self.state_message,
                state_details=_details(self.details),
            )
        return self._state

    @state.setter
    def state(self, state: State) -> None:
        self._state = state
        self.state_type = state.type.value
        self.state_name = state.name
        self.state_message = state.message
        self.dirty = True

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
    run: RunRecord, transition_id: str, run_count: int | None, state: Any, force: bool = False
) -> tuple[Decision, dict[str, Any] | None]:
    """Decide `state` (a request's) for `run`; on ACCEPT change `run` and return the
    ``run_states`` row too. A `run_count` sent with the proposal is what the rules see; with
    `force` no rule is asked (Prefect's ``set_flow_run_state(..., force=True)``)."""
    proposed = proposed_state(state)
    counted = run.run_count
    if run_count is not None:
        run.run_count = run_count
    decision, row = propose(FORCED if force else CORE_POLICY, run, proposed, transition_id)
    if row is None:
        run.run_count = counted
        return decision, None
    run.details = state.details.model_dump(exclude_none=True) if state.details else None
    return decision, dict(zip(ROW_COLUMNS, row[:8], strict=True))


def unknown_run(kind: str, run_id: str) -> Decision:
    return Decision(DecisionKind.ABORT, f"no {kind} run with id {run_id!r}")


__all__ = [
    "ALREADY_APPLIED",
    "RunRecord",
    "apply",
    "load_details",
    "needs_details",
    "proposed_state",
    "unknown_run",
]
