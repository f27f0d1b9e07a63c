"""The transitions a pause makes are the core policy's to allow, and a Paused state's details
(key, deadline, reschedule, input keys) survive being recorded, sent and read back."""

from __future__ import annotations

import json

import pytest

from cadenza.input import keyset_from_base_key, keyset_from_paused_state
from cadenza.orchestration import CORE_POLICY, DecisionKind, RunInfo
from cadenza.orchestration.transitions import details_json
from cadenza.states import Paused, Running, Scheduled, State, StateType, Suspended

RUN = RunInfo("run-1", "flow", retries=0, run_count=1)
DETAILS = {"pause_key": "1", "pause_timeout": 1_900_000_000.5, "pause_reschedule": True,
           "run_input_keyset": keyset_from_base_key("suspended-1")}  # fmt: skip


@pytest.mark.parametrize(
    ("current", "proposed", "kind"),
    [
        (Running(), Paused(), DecisionKind.ACCEPT),  # pause_flow_run
        (Running(), Suspended(), DecisionKind.ACCEPT),  # suspend_flow_run
        (Paused(), Running(), DecisionKind.ACCEPT),  # resumed: its process goes on
        (Suspended(), Scheduled(name="Resuming"), DecisionKind.ACCEPT),  # a worker runs it
        (Paused(), State(StateType.FAILED), DecisionKind.ACCEPT),  # timed out
        (Paused(), State(StateType.CANCELLING), DecisionKind.ACCEPT),
        (Paused(), State(StateType.COMPLETED), DecisionKind.REJECT),  # must resume first
        (Paused(), State(StateType.PENDING), DecisionKind.REJECT),
    ],
)
def test_the_core_policy_decides_pause_transitions(
    current: State, proposed: State, kind: DecisionKind
) -> None:
    assert CORE_POLICY.decide(RUN, current, proposed).kind is kind


def test_a_paused_states_details_are_recorded_and_read_back() -> None:
    from cadenza.server.models import StateIn
    from cadenza.store.run_records import proposed_state

    state = Suspended(flow_run_id="run-1", **DETAILS)
    recorded = json.loads(details_json(state.state_details) or "{}")
    assert recorded == DETAILS
    sent = StateIn(type="PAUSED", name="Suspended", timestamp=1.0, details=recorded)
    back = proposed_state(sent).state_details
    assert {k: getattr(back, k) for k in DETAILS} == DETAILS
    assert keyset_from_paused_state(state) == DETAILS["run_input_keyset"]
    with pytest.raises(RuntimeError):
        keyset_from_paused_state(Running())
