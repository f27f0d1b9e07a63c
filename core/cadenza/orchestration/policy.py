"""A policy: an ordered tuple of rules, decided per (from, to) pair.

`Policy.decide` is on the hot path of every task run, so the rules that govern each
(from type, to type) pair are looked up once and cached; a pair no rule governs is accepted
with a dictionary lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cadenza.orchestration.decisions import ACCEPTED, Decision, DecisionKind, RunInfo
from cadenza.orchestration.rules import CORE_RULES, Rule
from cadenza.states import StateType

if TYPE_CHECKING:
    from cadenza.states import State


class Policy:
    """An ordered tuple of rules; the first rule that objects decides."""

    def __init__(self, rules: tuple[type[Rule], ...]) -> None:
        self.rules = rules
        self._by_pair: dict[tuple[StateType | None, StateType], tuple[type[Rule], ...]] = {}
        for from_type in [None, *StateType]:
            for to_type in StateType:
                self._by_pair[(from_type, to_type)] = tuple(
                    r for r in rules if r.applies(from_type, to_type)
                )

    def decide(self, run: RunInfo, current: State | None, proposed: State) -> Decision:
        rules = self._by_pair[(current.type if current is not None else None, proposed.type)]
        for rule in rules:
            decision = rule.check(run, current, proposed)
            if decision is not None:
                decision.rule = rule.__name__
                return decision
        return ACCEPTED

    def rules_for(self, from_type: StateType | None, to_type: StateType) -> tuple[str, ...]:
        return tuple(r.__name__ for r in self._by_pair[(from_type, to_type)])


CORE_POLICY = Policy(CORE_RULES)

__all__ = ["ACCEPTED", "CORE_POLICY", "Decision", "DecisionKind", "Policy", "RunInfo"]
