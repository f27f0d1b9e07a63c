"""Flow parameters: binding, coercion by type hints, errors that name the flow and parameter,
and what the record keeps of them."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from cadenza import State, flow
from cadenza.exceptions import ParameterTypeError

# -- helpers --------------------------------------------------------------------------------------
calls: list[dict] = []


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()
    yield
    calls.clear()


@flow
def f(x: int, y: float = 1.0, names: list[str] | None = None):
    calls.append({"x": x, "y": y, "names": names})
    return x


def _flow_runs(record, flow_name="f"):
    return record(
        "SELECT id, name, state_type, state_name, state_message, parameters FROM flow_runs "
        "WHERE flow_name = ? ORDER BY created",
        flow_name,
    )


# -- coercion -------------------------------------------------------------------------------------
def test_string_is_coerced_to_int():
    assert f("5") == 5
    assert calls == [{"x": 5, "y": 1.0, "names": None}]
    assert type(calls[0]["x"]) is int


def test_int_is_coerced_to_float_and_sequence_to_list():
    f(3, y=2, names=("a", "b"))
    assert calls == [{"x": 3, "y": 2.0, "names": ["a", "b"]}]
    assert type(calls[0]["y"]) is float
    assert type(calls[0]["names"]) is list


def test_values_of_the_right_type_pass_unchanged():
    names = ["a"]
    f(1, 0.5, names)
    assert calls[0]["names"] == ["a"]
    assert calls[0]["x"] == 1 and calls[0]["y"] == 0.5


# -- invalid values -------------------------------------------------------------------------------
def test_invalid_value_raises_naming_flow_parameter_and_value():
    with pytest.raises(ParameterTypeError) as info:
        f("abc")
    message = str(info.value)
    assert "'f'" in message
    assert "'x'" in message
    assert "abc" in message
    assert isinstance(info.value, TypeError)  # Prefect users catch TypeError too


def test_invalid_value_never_runs_the_body():
    with pytest.raises(ParameterTypeError):
        f("abc")
    assert calls == []


def test_invalid_value_records_the_flow_run_failed_with_the_message(record):
    with pytest.raises(ParameterTypeError) as info:
        f("abc")
    rows = _flow_runs(record)
    assert len(rows) == 1
    run_id, _name, state_type, state_name, state_message, _params = rows[0]
    assert (state_type, state_name) == ("FAILED", "Failed")
    assert state_message == str(info.value)
    states = record("SELECT type FROM run_states WHERE run_id = ? ORDER BY id", run_id)
    assert states == [("FAILED",)]
    logs = record("SELECT level, message FROM logs WHERE flow_run_id = ?", run_id)
    assert any(level == 40 and "'x'" in message for level, message in logs)


def test_every_invalid_parameter_is_reported_at_once():
    with pytest.raises(ParameterTypeError) as info:
        f("abc", y="not-a-number")
    message = str(info.value)
    assert "'x'" in message and "abc" in message
    assert "'y'" in message and "not-a-number" in message


def test_invalid_list_item_is_reported():
    with pytest.raises(ParameterTypeError, match="names"):
        f(1, names=[object()])
    assert calls == []


def test_return_state_returns_the_failed_state_instead_of_raising(record):
    state = f("abc", return_state=True)
    assert isinstance(state, State)
    assert state.is_failed()
    assert "'x'" in state.message
    assert isinstance(state.result(raise_on_failure=False), ParameterTypeError)
    with pytest.raises(ParameterTypeError):
        state.result()
    assert calls == []
    rows = _flow_runs(record)
    assert rows[0][0] == state.state_details.flow_run_id
    assert rows[0][2] == "FAILED"


# -- missing and unexpected parameters ------------------------------------------------------------
def test_missing_parameter_errors_clearly(record):
    with pytest.raises(ParameterTypeError) as info:
        f()
    message = str(info.value)
    assert "'f'" in message
    assert "missing" in message and "'x'" in message
    assert calls == []
    assert _flow_runs(record)[0][2] == "FAILED"


def test_unexpected_parameter_errors_clearly(record):
    with pytest.raises(ParameterTypeError) as info:
        f(1, z=2)
    message = str(info.value)
    assert "'f'" in message
    assert "unexpected" in message and "'z'" in message
    assert calls == []
    assert _flow_runs(record)[0][2] == "FAILED"


def test_too_many_positional_parameters_error_clearly():
    with pytest.raises(ParameterTypeError, match="too many"):
        f(1, 2.0, ["a"], "extra")
    assert calls == []


# -- validate_parameters=False --------------------------------------------------------------------
def test_validate_parameters_false_passes_values_through():
    received = []

    @flow(validate_parameters=False)
    def raw(x: int, y: float = 1.0):
        received.append((x, y))
        return x

    assert raw("5", y="z") == "5"
    assert received == [("5", "z")]


def test_validate_parameters_false_still_checks_the_signature():
    @flow(validate_parameters=False)
    def raw(x: int):
        return x

    with pytest.raises(ParameterTypeError, match="'x'"):
        raw()


# -- pydantic models ------------------------------------------------------------------------------
class Point(BaseModel):
    x: int
    y: int = 0


def test_pydantic_model_parameter_from_a_dict():
    received = []

    @flow
    def takes_point(p: Point):
        received.append(p)
        return p.x + p.y

    assert takes_point({"x": "2", "y": 3}) == 5
    assert isinstance(received[0], Point)
    assert received[0] == Point(x=2, y=3)


def test_pydantic_model_instance_passes_through():
    received = []

    @flow
    def takes_point(p: Point):
        received.append(p)

    point = Point(x=1)
    takes_point(point)
    assert received[0] == point


def test_invalid_pydantic_model_parameter_names_the_parameter():
    @flow
    def takes_point(p: Point):
        raise AssertionError("body must not run")

    with pytest.raises(ParameterTypeError) as info:
        takes_point({"y": 1})
    assert "'p'" in str(info.value)
    assert "takes-point" in str(info.value)


# -- run names and recorded parameters ------------------------------------------------------------
def test_flow_run_name_template_uses_the_coerced_parameters(record):
    @flow(flow_run_name="run-{x}")
    def named(x: int):
        return x

    state = named("7", return_state=True)
    assert state.is_completed()
    rows = record("SELECT name FROM flow_runs WHERE id = ?", state.state_details.flow_run_id)
    assert rows == [("run-7",)]


def test_flow_run_name_callable(record):
    @flow(flow_run_name=lambda: "fixed-name")
    def named(x: int):
        return x

    named(1)
    assert record("SELECT name FROM flow_runs WHERE flow_name = 'named'") == [("fixed-name",)]


def test_parameters_recorded_as_json_with_defaults(record):
    f("5", names=["a"])
    rows = _flow_runs(record)
    assert len(rows) == 1
    assert rows[0][2] == "COMPLETED"
    assert json.loads(rows[0][5]) == {"x": 5, "y": 1.0, "names": ["a"]}


def test_non_json_parameters_recorded_by_repr(record):
    @flow
    def takes_point(p: Point):
        return p.x

    takes_point({"x": 1})
    (params,) = record("SELECT parameters FROM flow_runs WHERE flow_name = 'takes-point'")[0]
    assert json.loads(params) == {"p": repr(Point(x=1, y=0))}


def test_failed_validation_records_the_parameters_the_run_was_called_with(record):
    """The record of a run that failed on bad input shows the bad input, however it was passed."""
    with pytest.raises(ParameterTypeError):
        f("abc")
    with pytest.raises(ParameterTypeError):
        f(x="def")
    recorded = [json.loads(row[5]) for row in _flow_runs(record)]
    assert [p.get("x") for p in recorded] == ["abc", "def"]
