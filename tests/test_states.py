"""The state model: constructors, predicates, results, immutability, pickling, repr, timestamps.

Isolation (own CADENZA_HOME, no console, reset_backend on teardown) comes from the autouse
`cadenza_home` fixture in tests/conftest.py.
"""

from __future__ import annotations

import pickle
import time
from datetime import datetime, timedelta, timezone

import cloudpickle
import pytest

from cadenza import State, StateType
from cadenza.exceptions import CancelledRun, CrashedRun, FailedRun, MissingResult
from cadenza.states import (
    AwaitingRetry,
    Cached,
    Cancelled,
    Cancelling,
    Completed,
    Crashed,
    Failed,
    Late,
    Paused,
    Pending,
    Retrying,
    Running,
    Scheduled,
    StateDetails,
    TimedOut,
)

# constructor, expected type, expected name -- written out, not derived from states.py
CONSTRUCTORS = [
    (Completed, StateType.COMPLETED, "Completed"),
    (Failed, StateType.FAILED, "Failed"),
    (Crashed, StateType.CRASHED, "Crashed"),
    (Cancelled, StateType.CANCELLED, "Cancelled"),
    (Cancelling, StateType.CANCELLING, "Cancelling"),
    (Pending, StateType.PENDING, "Pending"),
    (Running, StateType.RUNNING, "Running"),
    (Scheduled, StateType.SCHEDULED, "Scheduled"),
    (Paused, StateType.PAUSED, "Paused"),
    (AwaitingRetry, StateType.SCHEDULED, "AwaitingRetry"),
    (Retrying, StateType.RUNNING, "Retrying"),
    (Cached, StateType.COMPLETED, "Cached"),
    (TimedOut, StateType.FAILED, "TimedOut"),
    (Late, StateType.SCHEDULED, "Late"),
]
IDS = [name for _, _, name in CONSTRUCTORS]

PREDICATES = {
    StateType.SCHEDULED: "is_scheduled",
    StateType.PENDING: "is_pending",
    StateType.RUNNING: "is_running",
    StateType.COMPLETED: "is_completed",
    StateType.FAILED: "is_failed",
    StateType.CRASHED: "is_crashed",
    StateType.CANCELLING: "is_cancelling",
    StateType.CANCELLED: "is_cancelled",
    StateType.PAUSED: "is_paused",
}
FINAL = {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}


# -- constructors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "type_", "name"), CONSTRUCTORS, ids=IDS)
def test_constructor_sets_type_and_name(make, type_, name):
    state = make()
    assert isinstance(state, State)
    assert state.type is type_
    assert state.name == name
    assert state.message is None
    assert not state.has_data()


@pytest.mark.parametrize(("make", "type_", "name"), CONSTRUCTORS, ids=IDS)
def test_constructor_takes_message_data_and_details(make, type_, name):
    state = make("hello", data={"k": 1}, flow_run_id="fr-1", retry_count=2)
    assert state.type is type_
    assert state.name == name
    assert state.message == "hello"
    assert state.data == {"k": 1}
    assert state.state_details.flow_run_id == "fr-1"
    assert state.state_details.retry_count == 2
    assert state.state_details.task_run_id is None


def test_constructor_name_can_be_overridden():
    state = Completed(name="Memoized")
    assert state.type is StateType.COMPLETED
    assert state.name == "Memoized"


def test_awaiting_retry_carries_scheduled_time():
    due = time.time() + 30
    state = AwaitingRetry("retry 1/2", scheduled_time=due)
    assert state.is_scheduled()
    assert state.state_details.scheduled_time == due


def test_state_from_raw_type_string():
    state = State("COMPLETED")
    assert state.type is StateType.COMPLETED
    assert state.name == "Completed"


def test_state_without_details_has_empty_details():
    details = Completed().state_details
    assert isinstance(details, StateDetails)
    assert details.to_dict() == {}


# -- predicates -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "type_", "name"), CONSTRUCTORS, ids=IDS)
def test_exactly_one_type_predicate_is_true(make, type_, name):
    state = make()
    for other_type, predicate in PREDICATES.items():
        assert getattr(state, predicate)() is (other_type is type_), (name, predicate)


@pytest.mark.parametrize(("make", "type_", "name"), CONSTRUCTORS, ids=IDS)
def test_is_final(make, type_, name):
    assert make().is_final() is (type_ in FINAL)


# -- result() -------------------------------------------------------------------------------------
def test_result_returns_data():
    assert Completed(data=42).result() == 42
    payload = {"a": [1, 2]}
    assert Completed(data=payload).result() is payload


def test_result_none_is_data():
    state = Completed(data=None)
    assert state.has_data()
    assert state.result() is None


def test_result_of_cached_returns_data():
    assert Cached(data="hit").result() == "hit"


def test_result_raises_the_stored_exception():
    boom = ValueError("boom")
    state = Failed("Task run encountered an exception ValueError: boom", data=boom)
    with pytest.raises(ValueError, match="boom") as info:
        state.result()
    assert info.value is boom


def test_result_raise_on_failure_false_returns_the_exception():
    boom = ValueError("boom")
    assert Failed(data=boom).result(raise_on_failure=False) is boom


@pytest.mark.parametrize(
    ("make", "exc_type"),
    [(Failed, FailedRun), (TimedOut, FailedRun), (Crashed, CrashedRun), (Cancelled, CancelledRun)],
)
def test_result_of_failure_without_exception_raises_with_the_message(make, exc_type):
    state = make("it went wrong")
    with pytest.raises(exc_type, match="it went wrong"):
        state.result()
    returned = state.result(raise_on_failure=False)
    assert isinstance(returned, exc_type)
    assert "it went wrong" in str(returned)


def test_result_of_failure_without_message_names_the_state():
    with pytest.raises(FailedRun, match="TimedOut"):
        TimedOut().result()


@pytest.mark.parametrize("make", [Completed, Running, Pending, Scheduled])
def test_result_without_data_raises_a_clear_error(make):
    state = make()
    with pytest.raises(MissingResult, match=state.name):
        state.result()


def test_result_accepts_fetch_for_prefect_compatibility():
    assert Completed(data=1).result(fetch=True) == 1


# -- immutability ---------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["type", "name", "message", "data", "ts", "state_details"])
def test_fields_cannot_be_assigned(field):
    state = Completed("m", data=1)
    with pytest.raises(AttributeError):
        setattr(state, field, "other")


def test_no_new_attributes():
    state = Completed()
    with pytest.raises(AttributeError):
        state.extra = 1  # type: ignore[attr-defined]  # the point: states take no attributes


def test_copy_returns_a_new_state_and_leaves_the_original():
    original = Running("first")
    changed = original.copy(message="second")
    assert changed is not original
    assert changed.message == "second"
    assert original.message == "first"
    assert changed.type is original.type
    assert changed.ts == original.ts


# -- pickling -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps], ids=["pickle", "cloudpickle"])
@pytest.mark.parametrize(("make", "type_", "name"), CONSTRUCTORS, ids=IDS)
def test_pickle_round_trip(dumps, make, type_, name):
    state = make("msg", data=[1, 2, 3], flow_run_id="fr", task_run_id="tr", retry_count=1)
    back = pickle.loads(dumps(state))
    assert isinstance(back, State)
    assert back == state
    assert back.type is type_
    assert back.name == name
    assert back.message == "msg"
    assert back.ts == state.ts
    assert back.data == [1, 2, 3]
    assert back.state_details.to_dict() == state.state_details.to_dict()


def test_pickle_round_trip_keeps_the_exception():
    back = pickle.loads(pickle.dumps(Failed("bad", data=KeyError("k"))))
    with pytest.raises(KeyError, match="k"):
        back.result()


def test_pickle_round_trip_without_data_has_no_data():
    back = pickle.loads(pickle.dumps(Completed()))
    assert not back.has_data()
    with pytest.raises(MissingResult):
        back.result()


# -- repr -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (Completed(), "Completed()"),
        (Failed(), "Failed()"),
        (Failed("x"), "Failed(message='x')"),
        (Running(), "Running()"),
        (Cached(), "Cached(type=COMPLETED)"),
        (AwaitingRetry(), "AwaitingRetry(type=SCHEDULED)"),
        (Retrying(), "Retrying(type=RUNNING)"),
        (TimedOut("slow"), "TimedOut(message='slow', type=FAILED)"),
        (Late(), "Late(type=SCHEDULED)"),
    ],
)
def test_repr_like_prefect(state, expected):
    assert repr(state) == expected


# -- timestamp ------------------------------------------------------------------------------------
def test_timestamp_is_aware_utc_now():
    before = datetime.now(timezone.utc)
    state = Pending()
    after = datetime.now(timezone.utc)
    ts = state.timestamp
    assert isinstance(ts, datetime)
    assert ts.tzinfo is not None
    assert ts.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= ts <= after + timedelta(seconds=1)


def test_later_state_has_later_or_equal_timestamp():
    first = Pending()
    second = Running()
    assert second.timestamp >= first.timestamp
