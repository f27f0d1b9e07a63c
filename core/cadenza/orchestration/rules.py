"""Transition rules: small named units, each with the FROM and TO state types it governs.

A rule looks at a proposal (the run, its current state, the proposed state) and returns a
`Decision` to stop there (REJECT / WAIT / ABORT) or ``None`` to let later rules speak. A policy
(see `policy.py`) is an ordered tuple of rules; a proposal no rule objects to is accepted.
``None`` in a FROM set stands for "the run has no state yet".
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from cadenza.orchestration.decisions import Decision, DecisionKind
from cadenza.states import TERMINAL_STATES, StateType

if TYPE_CHECKING:
    from cadenza.orchestration.decisions import RunInfo
    from cadenza.states import State

S = StateType
ALL_TYPES: frozenset[StateType | None] = frozenset([*StateType, None])
ACTIVE = frozenset({S.PENDING, S.RUNNING, S.CANCELLING, S.PAUSED, S.SCHEDULED})


class Rule:
    """Base of every rule. Subclasses set FROM, TO and implement `check`."""

    FROM: ClassVar[frozenset[StateType | None]] = ALL_TYPES
    TO: ClassVar[frozenset[StateType]] = frozenset(StateType)

    @classmethod
    def applies(cls, from_type: StateType | None, to_type: StateType) -> bool:
        return from_type in cls.FROM and to_type in cls.TO

    @staticmethod
    def check(run: RunInfo, current: State | None, proposed: State) -> Decision | None:
        raise NotImplementedError


def _reject(reason: str) -> Decision:
    return Decision(DecisionKind.REJECT, reason)


class FirstStateMustScheduleOrPend(Rule):
    """A new run starts Scheduled or Pending (or fails/crashes/cancels before it starts)."""

    FROM = frozenset({None})
    TO = frozenset({S.RUNNING, S.CANCELLING, S.PAUSED})

    @staticmethod
    def check(run, current, proposed):
        return _reject(f"a new run cannot start {proposed.name}; propose Pending first")


class TerminalStatesAreFinal(Rule):
    """Completed, Crashed and Cancelled runs never change state again."""

    FROM = frozenset({S.COMPLETED, S.CRASHED, S.CANCELLED})

    @staticmethod
    def check(run, current, proposed):
        return _reject(f"run is already {current.name}; {current.type.value} is final")


class FailedOnlyRetries(Rule):
    """A Failed run may only be rescheduled as AwaitingRetry, and only with retries left."""

    FROM = frozenset({S.FAILED})

    @staticmethod
    def check(run, current, proposed):
        if proposed.type is not S.SCHEDULED or proposed.name != "AwaitingRetry":
            return _reject(
                f"run is Failed; only AwaitingRetry may follow (proposed {proposed.name})"
            )
        if run.run_count > run.retries:
            return _reject(
                f"no retries left: attempt {run.run_count} of {run.retries + 1} already failed"
            )
        return None


class RunningOnlyFromReady(Rule):
    """Running follows Pending, a due Scheduled (retry) state, or a resumed Paused state."""

    FROM = frozenset({S.RUNNING, S.CANCELLING})
    TO = frozenset({S.RUNNING, S.PENDING, S.SCHEDULED})

    @staticmethod
    def check(run, current, proposed):
        return _reject(f"run is already {current.name}; cannot become {proposed.name}")


class WaitForScheduledTime(Rule):
    """Leaving a Scheduled state before its scheduled time waits until that time."""

    FROM = frozenset({S.SCHEDULED})
    TO = frozenset({S.PENDING, S.RUNNING})

    @staticmethod
    def check(run, current, proposed):
        due = current.state_details.scheduled_time
        if due is not None:
            delay = due - time.time()
            if delay > 0.001:
                return Decision(DecisionKind.WAIT, f"scheduled {delay:.3f}s from now", delay)
        return None


class PendingOnlyOnce(Rule):
    """Pending is entered from no state or Scheduled, not from Pending or Paused."""

    FROM = frozenset({S.PENDING, S.PAUSED})
    TO = frozenset({S.PENDING})

    @staticmethod
    def check(run, current, proposed):
        return _reject(f"run is already {current.name}; cannot become Pending again")


class CompletionRequiresStart(Rule):
    """Completed needs a run that ran (or a cache hit straight from Pending)."""

    FROM = frozenset({None, S.SCHEDULED, S.PAUSED})
    TO = frozenset({S.COMPLETED})

    @staticmethod
    def check(run, current, proposed):
        where = "a run that never started" if current is None else current.name
        return _reject(f"cannot complete {where}; it must run first")


class CancellingOnlyWhileActive(Rule):
    """Cancelling is a request to stop a run that is under way."""

    FROM = frozenset({None, S.FAILED})
    TO = frozenset({S.CANCELLING})

    @staticmethod
    def check(run, current, proposed):
        return _reject("only an active run can be cancelled")


CORE_RULES: tuple[type[Rule], ...] = (
    FirstStateMustScheduleOrPend,
    TerminalStatesAreFinal,
    FailedOnlyRetries,
    RunningOnlyFromReady,
    PendingOnlyOnce,
    CompletionRequiresStart,
    CancellingOnlyWhileActive,
    WaitForScheduledTime,
)

__all__ = ["ACTIVE", "ALL_TYPES", "CORE_RULES", "TERMINAL_STATES", "Rule"]
