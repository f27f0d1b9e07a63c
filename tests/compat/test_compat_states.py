"""States and results as Prefect 3's documentation uses them ("States", "Results", "Write
flows": final state determination), checked against Prefect 3.9.1's behaviour."""

from __future__ import annotations

import pytest

from cadenza import flow, task
from cadenza.exceptions import FailedRun, MissingResult
from cadenza.futures import CadenzaFuture
from cadenza.states import Cancelled, Completed, Failed, State, StateType


@task
def add_one(x: int) -> int:
    return x + 1


@task
def always_fails() -> None:
    raise ValueError("I fail")


# -- what a flow's final state is ------------------------------------------------------------
def test_failed_flow_returns_the_tuple_of_states_it_returned():
    # Prefect 3.9.1: a flow returning (Completed, Failed) ends Failed "1/2 states failed.";
    # result(raise_on_failure=False) is that tuple, result() raises the task's ValueError.
    @flow
    def my_flow():
        x = add_one(1, return_state=True)
        y = always_fails(return_state=True)
        return x, y

    state = my_flow(return_state=True)
    assert state.is_failed()
    assert state.message == "1/2 states failed."
    returned = state.result(raise_on_failure=False)
    assert isinstance(returned, tuple) and len(returned) == 2
    ok, failed = returned
    assert ok.is_completed() and ok.result() == 2
    assert failed.is_failed()
    with pytest.raises(ValueError, match="I fail"):
        state.result()


def test_flow_returning_a_failed_state_fails_with_its_message():
    # Prefect 3.9.1: `return Failed(message=...)` ends the flow Failed with that message;
    # calling the flow raises FailedRun(message); result(raise_on_failure=False) is None.
    @flow
    def my_flow():
        return Failed(message="Custom failure")

    state = my_flow(return_state=True)
    assert state.is_failed()
    assert state.message == "Custom failure"
    assert state.result(raise_on_failure=False) is None
    with pytest.raises(FailedRun, match="Custom failure"):
        my_flow()


def test_flow_returning_a_list_with_a_failed_state_fails():
    # Prefect 3.9.1: [Completed(), Failed(message="x")] -> Failed "1/2 states failed.", and the
    # list comes back from result(raise_on_failure=False).
    @flow
    def my_flow():
        return [Completed(), Failed(message="x")]

    state = my_flow(return_state=True)
    assert state.is_failed()
    assert state.message == "1/2 states failed."
    states = state.result(raise_on_failure=False)
    assert [s.type for s in states] == [StateType.COMPLETED, StateType.FAILED]
    with pytest.raises(FailedRun, match="x"):
        state.result()


def test_flow_returning_completed_states_completes_and_returns_them():
    # Prefect 3.9.1: a list of task states, all completed -> Completed "All states
    # completed.", and the flow's result is that list of states.
    @flow
    def my_flow():
        return [add_one(1, return_state=True), add_one(2, return_state=True)]

    state = my_flow(return_state=True)
    assert state.is_completed()
    assert state.message == "All states completed."
    assert [s.result() for s in state.result()] == [2, 3]


def test_flow_returning_a_task_state_returns_that_state():
    # Prefect 3.9.1: returning a task's state is summed up like a list of one: the flow is
    # Completed "All states completed." and calling it returns the task's state.
    @flow
    def my_flow():
        return add_one(4, return_state=True)

    returned = my_flow()
    assert isinstance(returned, State)
    assert returned.result() == 5


def test_returned_futures_become_their_states():
    # Prefect 3.9.1: futures a flow returns are waited for and replaced by their states; a
    # returned failed future fails the flow ("1/1 states failed.").
    @flow
    def returns_future():
        return add_one.submit(6)

    @flow
    def returns_futures():
        return [add_one.submit(1), add_one.submit(2)]

    @flow
    def returns_failed_future():
        return always_fails.submit()

    single = returns_future()
    assert isinstance(single, State) and not isinstance(single, CadenzaFuture)
    assert single.result() == 7
    assert [s.result() for s in returns_futures()] == [2, 3]
    failed = returns_failed_future(return_state=True)
    assert failed.is_failed()
    assert failed.message == "1/1 states failed."
    with pytest.raises(ValueError, match="I fail"):
        failed.result()


def test_unreturned_failed_future_does_not_fail_the_flow():
    # Prefect 3.9.1: a submitted task that fails but is not returned leaves the flow Completed
    # with what it returned.
    @flow
    def my_flow():
        always_fails.submit()
        return 3

    state = my_flow(return_state=True)
    assert state.is_completed()
    assert state.result() == 3


def test_flow_returning_completed_with_a_message_keeps_it():
    # Prefect 3.9.1: `return Completed(message="all good")` -> Completed "all good", result
    # None; Completed(message=, data=42) -> the flow returns 42.
    @flow
    def my_flow():
        return Completed(message="all good")

    @flow
    def with_data():
        return Completed(message="m", data=42)

    state = my_flow(return_state=True)
    assert state.is_completed() and state.name == "Completed"
    assert state.message == "all good"
    assert state.result() is None
    assert with_data() == 42


def test_flow_returning_cancelled_ends_cancelled():
    # Prefect 3.9.1: `return Cancelled(message="stop")` -> Cancelled "stop";
    # result(raise_on_failure=False) is None.
    @flow
    def my_flow():
        return Cancelled(message="stop")

    state = my_flow(return_state=True)
    assert state.is_cancelled()
    assert state.message == "stop"
    assert state.result(raise_on_failure=False) is None


def test_flow_that_raises_names_the_exception():
    # Prefect 3.9.1: "Flow run encountered an exception: ValueError: I fail" (a colon after
    # "exception" for flows, none for tasks); result(raise_on_failure=False) is the ValueError.
    @flow
    def my_flow():
        always_fails()

    state = my_flow(return_state=True)
    assert state.message == "Flow run encountered an exception: ValueError: I fail"
    assert isinstance(state.result(raise_on_failure=False), ValueError)


# -- states tasks return -------------------------------------------------------------------------
def test_task_returning_a_named_state_keeps_its_name_message_and_data():
    # Prefect 3.9.1: a task returning Completed(message=, data=, name="Skipped") ends in that
    # state: `return_state=True` and `future.state` show it, `.result()` is its data, and a
    # plain call returns the State object itself.
    @task
    def maybe_skip():
        return Completed(message="nothing to do", data={"rows": 0}, name="Skipped")

    seen = {}

    @flow
    def my_flow():
        state = maybe_skip(return_state=True)
        seen["state"] = (state.type, state.name, state.message, state.result())
        seen["direct"] = maybe_skip()
        future = maybe_skip.submit()
        future.wait()
        seen["future"] = (future.state.name, future.state.message, future.result())

    my_flow()
    assert seen["state"] == (StateType.COMPLETED, "Skipped", "nothing to do", {"rows": 0})
    direct = seen["direct"]
    assert isinstance(direct, State) and direct.name == "Skipped"
    assert seen["future"] == ("Skipped", "nothing to do", {"rows": 0})


def test_task_returning_failed_state_fails_without_raising_on_a_plain_call():
    # Prefect 3.9.1: a task returning Failed(message="nope", name="Rejected") ends Failed
    # "Rejected"; a plain call returns that state (no exception), so the flow goes on.
    @task
    def reject():
        return Failed(message="nope", name="Rejected")

    seen = {}

    @flow
    def my_flow():
        seen["direct"] = reject()
        state = reject(return_state=True)
        seen["state"] = (state.type, state.name, state.message)
        return "ok"

    assert my_flow() == "ok"
    assert seen["direct"].is_failed()
    assert seen["state"] == (StateType.FAILED, "Rejected", "nope")


def test_return_state_inside_a_flow_returns_a_state():
    # Prefect 3.9.1: `my_task(return_state=True)` inside a flow is a State; a failure is
    # returned, not raised; result() raises the original exception type and
    # result(raise_on_failure=False) returns it; `future.wait(); future.state` is the same.
    seen = {}

    @flow
    def my_flow():
        state = always_fails(return_state=True)
        seen["is_state"] = isinstance(state, State)
        seen["message"] = state.message
        seen["returned"] = state.result(raise_on_failure=False)
        try:
            state.result()
        except ValueError as exc:
            seen["raised"] = exc
        future = always_fails.submit()
        future.wait()
        seen["future"] = (
            future.state.is_failed(),
            future.state.is_completed(),
            future.state.is_final(),
        )
        return 1

    assert my_flow() == 1
    assert seen["is_state"]
    assert seen["message"] == "Task run encountered an exception ValueError: I fail"
    assert isinstance(seen["returned"], ValueError)
    assert isinstance(seen["raised"], ValueError)
    assert seen["future"] == (True, False, True)


def test_result_of_an_unpersisted_completed_state_is_the_value_in_memory():
    # Prefect 3.9.1: without persistence, state.result() is the returned value, in memory.
    @flow(persist_result=False)
    def my_flow():
        return {"x": [1, 2]}

    state = my_flow(return_state=True)
    assert state.result() == {"x": [1, 2]}


def test_a_state_without_data_outside_a_run_has_no_result():
    # Prefect 3.9.1: a state read back without its data raises MissingResult from result().
    with pytest.raises(MissingResult):
        Completed().result()


def test_state_result_is_awaited_in_async_code():
    # Prefect 3.9.1: in an async flow's body and hooks, and in a coroutine outside any run,
    # state.result() returns an awaitable (`await state.result()`); in a sync task, even one
    # called from an async flow, and for future.result(), it returns the value.
    import asyncio

    seen = {}

    async def on_done(flow, flow_run, state):
        seen["hook"] = await state.result()

    @task
    def sync_reader():
        return add_one(10, return_state=True).result()

    @flow(on_completion=[on_done])
    async def my_flow():
        state = add_one(1, return_state=True)
        seen["body"] = await state.result()
        seen["sync task"] = sync_reader()
        seen["future"] = add_one.submit(20).result()
        return "done"

    async def main():
        state = await my_flow(return_state=True)
        return await state.result()

    assert asyncio.run(main()) == "done"
    assert seen == {"body": 2, "sync task": 11, "future": 21, "hook": "done"}
    assert add_one(1, return_state=True).result() == 2  # sync code: the value


def test_aresult_is_the_awaitable_form_of_result():
    # Prefect 3.9.1: `await state.aresult()` gives the result in async code (and raises the
    # run's exception for a failed state, like result()).
    import asyncio

    @flow
    async def my_flow():
        ok = await add_one.submit(1)  # a future is awaitable too
        state = add_one(2, return_state=True)
        failed = always_fails(return_state=True)
        try:
            await failed.aresult()
        except ValueError:
            caught = True
        return ok, await state.aresult(), caught

    assert asyncio.run(my_flow()) == (2, 3, True)


def test_returned_states_the_serializer_cannot_store_stay_in_memory():
    # Prefect 3.9.1: a JSON-serialized flow returning a task's state completes and returns
    # that state (Prefect's JSON encoder writes states; a result it cannot persist is logged,
    # "Execution will continue"). Cadenza's JSON serializer does not write states: the value
    # stays in memory, with a warning.
    @flow(persist_result=True, result_serializer="json")
    def my_flow():
        return add_one(1, return_state=True)

    state = my_flow(return_state=True)
    assert state.is_completed()
    assert state.result().result() == 2


def test_prefects_state_helpers():
    # Prefect 3.9.1: prefect.states.get_state_exception / raise_state_exception give the
    # exception of a failed state (the first failed one for a state holding states), and
    # Completed(state_details=...) is accepted.
    from cadenza.states import (
        StateDetails,
        get_state_exception,
        is_state_iterable,
        raise_state_exception,
    )

    boom = ValueError("boom")
    failed = Failed(message="x", data=boom)
    assert get_state_exception(failed) is boom
    assert isinstance(get_state_exception(Failed(message="no data")), FailedRun)
    with pytest.raises(ValueError, match="boom"):
        raise_state_exception(Failed(data=[Completed(), failed]))
    raise_state_exception(Completed())  # nothing to raise
    assert is_state_iterable([Completed(), failed]) and not is_state_iterable([])
    state = Completed(state_details=StateDetails(flow_run_id="abc"))
    assert state.state_details.flow_run_id == "abc"
