"""Transition rules and the policy that orders them; the same policy runs wherever runs are recorded."""

from cadenza.orchestration.policy import CORE_POLICY, Decision, DecisionKind, Policy, RunInfo

__all__ = ["CORE_POLICY", "Decision", "DecisionKind", "Policy", "RunInfo"]
