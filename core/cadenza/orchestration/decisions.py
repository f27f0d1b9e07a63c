"""The words of orchestration: a `Decision` (of a `DecisionKind`) about a proposed state of a run
described by `RunInfo`. Rules (`cadenza.orchestration.rules`) make decisions; the policy
(`cadenza.orchestration.policy`) orders the rules."""

from __future__ import annotations

import enum


class DecisionKind(str, enum.Enum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    WAIT = "WAIT"
    ABORT = "ABORT"


class Decision:
    """The orchestrator's answer to a proposal: a kind, a reason, and for WAIT a delay."""

    __slots__ = ("delay", "kind", "reason", "rule")

    def __init__(
        self, kind: DecisionKind, reason: str = "", delay: float = 0.0, rule: str | None = None
    ) -> None:
        self.kind = kind
        self.reason = reason
        self.delay = delay
        self.rule = rule

    @property
    def accepted(self) -> bool:
        return self.kind is DecisionKind.ACCEPT

    def __repr__(self) -> str:
        extra = f", delay={self.delay:.3f}" if self.kind is DecisionKind.WAIT else ""
        by = f" by {self.rule}" if self.rule else ""
        return f"Decision({self.kind.value}{by}: {self.reason!r}{extra})"


ACCEPTED = Decision(DecisionKind.ACCEPT, "accepted")


class RunInfo:
    """What rules may know about a run: its id, kind, attempts made and retries allowed."""

    __slots__ = ("id", "kind", "retries", "run_count")

    def __init__(self, id: str, kind: str, retries: int = 0, run_count: int = 0) -> None:
        self.id = id
        self.kind = kind
        self.retries = retries
        self.run_count = run_count


__all__ = ["ACCEPTED", "Decision", "DecisionKind", "RunInfo"]
