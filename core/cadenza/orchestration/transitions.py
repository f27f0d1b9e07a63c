"""Deciding and applying a transition: the one place where a run's state changes.

Every backend (embedded, HTTP, capture) and the server call `propose` — or `accept` once a
proposal was accepted elsewhere (by the server, for a flow run of an HTTP backend) — so a run
changes state, gains its start and end times and its result reference, and is reported to
observers the same way in every mode.

A run is anything with the fields the rules read (`id`, `kind`, `retries`, `run_count`) and a
writable `state` plus `start_time`, `end_time`, `result_ref` and `flow_run_id`: the engine's
`FlowRun`/`TaskRun`, or the server's record of a row.

`accept` returns the transition as the record keeps it, a `Row`:
``(transition_id, run_id, flow_run_id, type, name, message, timestamp, details_json,
run_count, result_ref)`` — the ``run_states`` columns, then the run count and (for a final
state) the result reference that a remote store applies to the run. A message is stored with
every registered secret value masked (`cadenza.masking`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cadenza import observers
from cadenza.masking import mask
from cadenza.orchestration.policy import ACCEPTED, Decision, DecisionKind, Policy
from cadenza.states import TERMINAL_STATES, StateType

if TYPE_CHECKING:
    from cadenza.states import State, StateDetails

Row = tuple
"""(transition_id, run_id, flow_run_id, type, name, message, timestamp, details_json,
run_count, result_ref); the first eight are the ``run_states`` columns."""

ROW_COLUMNS = ("transition_id", "run_id", "flow_run_id", "type", "name", "message", "timestamp",
               "details")  # fmt: skip
"""The ``run_states`` columns, in the order of a `Row`'s first eight fields."""


_ACCEPT = DecisionKind.ACCEPT
_RUNNING = StateType.RUNNING


def decide(policy: Policy, run: Any, state: State) -> Decision:
    """The policy's decision on moving `run` to `state` (a pair no rule governs: ACCEPT)."""
    current = run.state
    if policy._by_pair[(current.type if current is not None else None, state.type)]:
        return policy.decide(run, current, state)
    return ACCEPTED


def propose(
    policy: Policy, run: Any, state: State, transition_id: str
) -> tuple[Decision, Row | None]:
    """Decide; when accepted, apply (`accept`) and return the decision with the row."""
    decision = decide(policy, run, state)
    if decision.kind is not _ACCEPT:
        return decision, None
    return decision, accept(run, state, transition_id)


def accept(run: Any, state: State, transition_id: str) -> Row:
    """Apply an accepted `state` to `run`, tell the observer, and return the transition's row."""
    current = run.state
    run.state = state
    state_type = state.type
    if state_type is _RUNNING:
        if run.start_time is None:
            run.start_time = state.ts
    elif state_type in TERMINAL_STATES:
        run.end_time = state.ts
        if state.result_ref is not None:
            run.result_ref = state.result_ref
    made = row(run, state, transition_id)
    notify = observers.on_state
    if notify is not None:
        notify(run, current, state)
    return made


def row(run: Any, state: State, transition_id: str) -> Row:
    """The row that records moving `run` to `state` (see the module docstring)."""
    state_type = state.type
    message = state.message
    details = state.raw_details
    return (
        transition_id,
        run.id,
        run.flow_run_id,
        state_type._value_,
        state.name,
        mask(message) if message else message,
        state.ts,
        details_json(details) if details is not None else None,
        run.run_count,
        state.result_ref if state_type in TERMINAL_STATES else None,
    )


def details_json(details: StateDetails) -> str | None:
    """What a transition row keeps of its state's details: all but the run ids (columns)."""
    if (
        details.scheduled_time is None
        and details.cache_key is None
        and details.retry_count is None
        and details.pause_key is None
    ):
        return None
    extra = details.to_dict()
    for key in ("flow_run_id", "task_run_id", "transition_id"):
        extra.pop(key, None)
    return json.dumps(extra) if extra else None


__all__ = ["ROW_COLUMNS", "Row", "accept", "decide", "details_json", "propose", "row"]
