"""Transition rules and the policy that orders them.

The same policy runs wherever runs are recorded: in-process now, on the server later.
"""

from cadenza.orchestration.policy import CORE_POLICY, Decision, DecisionKind, Policy, RunInfo

__all__ = ["CORE_POLICY", "Decision", "DecisionKind", "Policy", "RunInfo"]
