"""Orchestration: the full from x to transition table of the core policy, WAIT, retries, reasons,
and idempotent proposals through the embedded backend.

The table below is written out by hand from the intended semantics; it is deliberately NOT
derived from cadenza.orchestration.rules.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from cadenza.orchestration import CORE_POLICY, DecisionKind, RunInfo
from cadenza.orchestration.rules import CORE_RULES
from cadenza.states import (
    AwaitingRetry,
    Cancelled,
    Cancelling,
    Completed,
    Crashed,
    Failed,
    Paused,
    Pending,
    Running,
    Scheduled,
    StateType,
)

A = DecisionKind.ACCEPT
R = DecisionKind.REJECT
S = StateType

# One representative (plainly named) state per type; FAILED -> SCHEDULED uses a plain
# Scheduled here (rejected) -- AwaitingRetry has its own tests below.
MAKE = {
    S.SCHEDULED: Scheduled,
    S.PENDING: Pending,
    S.RUNNING: Running,
    S.COMPLETED: Completed,
    S.FAILED: Failed,
    S.CRASHED: Crashed,
    S.CANCELLING: Cancelling,
    S.CANCELLED: Cancelled,
    S.PAUSED: Paused,
}

TO_ORDER = [
    S.SCHEDULED, S.PENDING, S.RUNNING, S.COMPLETED, S.FAILED,
    S.CRASHED, S.CANCELLING, S.CANCELLED, S.PAUSED,
]  # fmt: skip

# from            SCHED PEND RUN COMPL FAIL CRASH CANCELLING CANCELLED PAUSED
TABLE = {
    None:         [A,   A,   R,  R,    A,   A,    R,         A,        R],
    S.SCHEDULED:  [A,   A,   A,  R,    A,   A,    A,         A,        A],
    S.PENDING:    [A,   R,   A,  A,    A,   A,    A,         A,        A],
    S.RUNNING:    [R,   R,   R,  A,    A,   A,    A,         A,        A],
    S.COMPLETED:  [R,   R,   R,  R,    R,   R,    R,         R,        R],
    S.FAILED:     [R,   R,   R,  R,    R,   R,    R,         R,        R],
    S.CRASHED:    [R,   R,   R,  R,    R,   R,    R,         R,        R],
    S.CANCELLING: [R,   R,   R,  A,    A,   A,    A,         A,        A],
    S.CANCELLED:  [R,   R,   R,  R,    R,   R,    R,         R,        R],
    S.PAUSED:     [A,   R,   A,  R,    A,   A,    A,         A,        A],
}  # fmt: skip

CELLS = [
    (from_type, to_type, TABLE[from_type][i])
    for from_type in TABLE
    for i, to_type in enumerate(TO_ORDER)
]
CELL_IDS = [f"{f.value if f else 'None'}->{t.value}" for f, t, _ in CELLS]
RULE_NAMES = {rule.__name__ for rule in CORE_RULES}


def _run(retries: int = 3, run_count: int = 1) -> RunInfo:
    # retries left, so only the type/name of the proposal matters in the table
    return RunInfo("run-1", "task", retries=retries, run_count=run_count)


def _current(from_type):
    return None if from_type is None else MAKE[from_type]()


def test_table_is_complete():
    assert len(CELLS) == 90
    assert set(TABLE) == {None, *StateType}
    assert set(TO_ORDER) == set(StateType)
    assert all(len(row) == 9 for row in TABLE.values())


@pytest.mark.parametrize(("from_type", "to_type", "expected"), CELLS, ids=CELL_IDS)
def test_transition_table(from_type, to_type, expected):
    decision = CORE_POLICY.decide(_run(), _current(from_type), MAKE[to_type]())
    assert decision.kind is expected, decision


@pytest.mark.parametrize(
    ("from_type", "to_type", "expected"),
    [c for c in CELLS if c[2] is R],
    ids=[i for i, c in zip(CELL_IDS, CELLS, strict=True) if c[2] is R],
)
def test_every_reject_has_a_reason_and_names_its_rule(from_type, to_type, expected):
    decision = CORE_POLICY.decide(_run(), _current(from_type), MAKE[to_type]())
    assert decision.kind is R
    assert isinstance(decision.reason, str)
    assert decision.reason.strip()
    assert decision.rule in RULE_NAMES
    assert decision.rule in repr(decision)
    assert not decision.accepted


@pytest.mark.parametrize(
    ("from_type", "to_type", "rule"),
    [
        (None, S.RUNNING, "FirstStateMustScheduleOrPend"),
        (S.COMPLETED, S.RUNNING, "TerminalStatesAreFinal"),
        (S.CANCELLED, S.SCHEDULED, "TerminalStatesAreFinal"),
        (S.FAILED, S.RUNNING, "FailedOnlyRetries"),
        (S.RUNNING, S.PENDING, "RunningOnlyFromReady"),
        (S.PAUSED, S.PENDING, "PendingOnlyOnce"),
        (S.SCHEDULED, S.COMPLETED, "CompletionRequiresStart"),
        (S.FAILED, S.CANCELLING, "FailedOnlyRetries"),
    ],
)
def test_reject_names_the_responsible_rule(from_type, to_type, rule):
    decision = CORE_POLICY.decide(_run(), _current(from_type), MAKE[to_type]())
    assert decision.rule == rule


# -- retries --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("retries", "run_count"), [(1, 1), (3, 1), (3, 3)])
def test_failed_to_awaiting_retry_accepted_while_retries_left(retries, run_count):
    decision = CORE_POLICY.decide(
        _run(retries=retries, run_count=run_count), Failed(), AwaitingRetry()
    )
    assert decision.kind is A, decision


@pytest.mark.parametrize(("retries", "run_count"), [(0, 1), (1, 2), (3, 4)])
def test_retries_exhausted_rejects_awaiting_retry_naming_the_attempts(retries, run_count):
    decision = CORE_POLICY.decide(
        _run(retries=retries, run_count=run_count), Failed(), AwaitingRetry()
    )
    assert decision.kind is R
    assert decision.rule == "FailedOnlyRetries"
    assert "attempt" in decision.reason.lower()
    assert str(run_count) in decision.reason
    assert str(retries + 1) in decision.reason


def test_failed_to_other_named_scheduled_is_rejected():
    decision = CORE_POLICY.decide(_run(), Failed(), Scheduled(name="Late"))
    assert decision.kind is R
    assert "AwaitingRetry" in decision.reason


# -- WAIT -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [Pending, Running])
def test_leaving_scheduled_before_its_time_waits(make):
    due = time.time() + 5.0
    current = Scheduled(scheduled_time=due)
    decision = CORE_POLICY.decide(_run(), current, make())
    assert decision.kind is DecisionKind.WAIT
    assert 4.0 < decision.delay <= 5.0
    assert decision.rule == "WaitForScheduledTime"
    assert decision.reason


def test_awaiting_retry_waits_until_due_then_accepts():
    current = AwaitingRetry(scheduled_time=time.time() + 0.2)
    first = CORE_POLICY.decide(_run(), current, Running(name="Retrying"))
    assert first.kind is DecisionKind.WAIT
    assert 0 < first.delay <= 0.2
    time.sleep(first.delay + 0.01)
    second = CORE_POLICY.decide(_run(), current, Running(name="Retrying"))
    assert second.kind is A


def test_scheduled_in_the_past_is_accepted():
    current = Scheduled(scheduled_time=time.time() - 10)
    assert CORE_POLICY.decide(_run(), current, Pending()).kind is A


def test_scheduled_time_does_not_delay_failing_or_cancelling():
    current = Scheduled(scheduled_time=time.time() + 60)
    assert CORE_POLICY.decide(_run(), current, Cancelled()).kind is A
    assert CORE_POLICY.decide(_run(), current, Failed()).kind is A


# -- idempotency through the embedded backend ----------------------------------------------------
def _count_state_rows(home, run_id):
    conn = sqlite3.connect(home / "cadenza.db")
    try:
        sql = "SELECT COUNT(*) FROM run_states WHERE run_id = ?"
        return conn.execute(sql, (run_id,)).fetchone()[0]
    finally:
        conn.close()


def _new_flow_run():
    from cadenza.backends import get_backend
    from cadenza.runs import FlowRun

    backend = get_backend()
    run = FlowRun("idem-flow", "idem-run", {})
    backend.create_flow_run(run)
    return backend, run


def test_same_transition_id_is_applied_once(cadenza_home):
    backend, run = _new_flow_run()
    first_state = Pending()
    first = backend.propose(run, first_state, transition_id="t1")
    assert first.kind is A
    assert run.state is first_state

    second_state = Pending()  # would be rejected (Pending -> Pending) if applied again
    second = backend.propose(run, second_state, transition_id="t1")
    assert second.kind is A
    assert run.state is first_state

    backend.flush()
    assert _count_state_rows(cadenza_home, run.id) == 1


def test_repeated_transition_does_not_change_state_twice(cadenza_home):
    backend, run = _new_flow_run()
    assert backend.propose(run, Pending(), transition_id="t1").kind is A
    running = Running()
    assert backend.propose(run, running, transition_id="t2").kind is A
    start_time = run.start_time
    retried = Running(name="Retrying")
    assert backend.propose(run, retried, transition_id="t2").kind is A
    assert run.state is running
    assert run.state.name == "Running"
    assert run.start_time == start_time

    backend.flush()
    conn = sqlite3.connect(cadenza_home / "cadenza.db")
    try:
        rows = conn.execute(
            "SELECT transition_id, type, name FROM run_states WHERE run_id = ? ORDER BY id",
            (run.id,),
        ).fetchall()
        flow_row = conn.execute(
            "SELECT state_type, state_name FROM flow_runs WHERE id = ?", (run.id,)
        ).fetchone()
    finally:
        conn.close()
    assert rows == [("t1", "PENDING", "Pending"), ("t2", "RUNNING", "Running")]
    assert flow_row == ("RUNNING", "Running")


def test_transition_id_reused_after_flush_is_still_idempotent(cadenza_home):
    backend, run = _new_flow_run()
    backend.propose(run, Pending(), transition_id="t1")
    backend.flush()
    assert backend.propose(run, Pending(), transition_id="t1").kind is A
    backend.flush()
    assert _count_state_rows(cadenza_home, run.id) == 1


def test_transition_ids_are_scoped_to_their_run(cadenza_home):
    """Two runs that happen to use the same caller-chosen transition id each keep their row."""
    backend, run_a = _new_flow_run()
    _, run_b = _new_flow_run()
    assert backend.propose(run_a, Pending(), transition_id="t1").kind is A
    assert backend.propose(run_b, Pending(), transition_id="t1").kind is A
    backend.flush()
    assert _count_state_rows(cadenza_home, run_a.id) == 1
    assert _count_state_rows(cadenza_home, run_b.id) == 1


def test_rejected_proposal_with_transition_id_is_not_recorded(cadenza_home):
    backend, run = _new_flow_run()
    decision = backend.propose(run, Running(), transition_id="t1")
    assert decision.kind is R
    assert run.state is None
    # the id was not consumed: a valid proposal may use it
    assert backend.propose(run, Pending(), transition_id="t1").kind is A
    assert run.state.is_pending()
    backend.flush()
    assert _count_state_rows(cadenza_home, run.id) == 1
