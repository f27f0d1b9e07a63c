"""Traces of flow runs, task runs and retries, as a collector receives them.

Each test runs a flow script in a fresh interpreter configured only by the standard ``OTEL_*``
variables (the `otel_env` fixture), which exports over OTLP/HTTP to the test's receiver; the test
reads the decoded spans: their tree, names, attributes and events, and the raw request bodies.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

VALUE = "value-that-must-not-leak-41"
SECRET = "hunter2-secret-token-77"

FLOWS = f"""
from pydantic import SecretStr

from cadenza import flow, tags, task
from cadenza.task_runners import ThreadPoolTaskRunner

ATTEMPTS = []


@task(retries=1, retry_delay_seconds=0)
def flaky(item: str, token: SecretStr) -> str:
    ATTEMPTS.append(item)
    if len(ATTEMPTS) == 1:
        raise RuntimeError("the first attempt fails")
    return item.upper()


@task
def boom(item: str) -> None:
    raise ValueError("boom went the task")


@flow
def child(item: str) -> str:
    return item * 2


@flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
def parent(item: str, token: SecretStr) -> str:
    out = flaky.submit(item, token).result()
    state = boom(item, return_state=True)
    assert state.is_failed()
    return child(out)


if __name__ == "__main__":
    with tags("nightly"):
        assert parent({VALUE!r}, SecretStr({SECRET!r})) == {VALUE.upper() * 2!r}
"""


def test_a_flow_run_its_task_runs_attempts_and_subflow_form_one_trace(run_script, receiver) -> None:
    run_script(FLOWS)

    flow_span = receiver.one("flow parent")
    assert flow_span.parent_span_id == ""  # a root: nothing traced the script itself
    assert flow_span.resource["service.name"] == "cadenza-otel-tests"
    assert flow_span.attributes["cadenza.run.type"] == "flow"
    assert flow_span.attributes["cadenza.flow.name"] == "parent"
    assert flow_span.attributes["cadenza.parameters"] == ("item", "token")
    assert "nightly" in flow_span.attributes["cadenza.tags"]
    assert flow_span.attributes["cadenza.state.type"] == "COMPLETED"
    assert flow_span.status_code == 1  # OK
    run_id = flow_span.attributes["cadenza.run.id"]
    assert flow_span.attributes["cadenza.flow_run.id"] == run_id
    assert [name for name, _ in flow_span.events] == ["Pending", "Running", "Completed"]

    everything = receiver.spans
    assert {s.trace_id for s in everything} == {flow_span.trace_id}

    flaky = receiver.one("task flaky")
    assert flaky.parent_span_id == flow_span.span_id
    assert flaky.attributes["cadenza.task.name"] == "flaky"
    assert flaky.attributes["cadenza.flow_run.id"] == run_id
    assert flaky.attributes["cadenza.parameters"] == ("item", "token")
    assert "nightly" in flaky.attributes["cadenza.tags"]
    assert flaky.attributes["cadenza.state.type"] == "COMPLETED" and flaky.status_code == 1
    assert [n for n, _ in flaky.events] == [
        "Pending", "Running", "Failed", "AwaitingRetry", "Retrying", "Completed"
    ]  # fmt: skip

    first, second = receiver.one("task flaky attempt 1"), receiver.one("task flaky attempt 2")
    assert first.parent_span_id == second.parent_span_id == flaky.span_id
    assert first.status_code == 2 and second.status_code == 1
    assert first.end <= second.start and flaky.start <= first.start and second.end <= flaky.end
    ((_, exception),) = [e for e in first.events if e[0] == "exception"]
    assert exception["exception.type"] == "builtins.RuntimeError"
    assert exception["exception.message"] == "the first attempt fails"
    assert "the first attempt fails" in exception["exception.stacktrace"]

    boom = receiver.one("task boom")
    assert boom.parent_span_id == flow_span.span_id
    assert boom.status_code == 2 and boom.attributes["cadenza.state.type"] == "FAILED"
    ((_, exception),) = [e for e in boom.events if e[0] == "exception"]
    assert exception["exception.type"] == "builtins.ValueError"
    assert exception["exception.message"] == "boom went the task"
    assert not receiver.named("task boom attempt 1")  # no retries: no attempt spans

    child = receiver.one("flow child")
    assert child.parent_span_id == flow_span.span_id
    assert child.attributes["cadenza.parent_flow_run.id"] == run_id
    assert child.attributes["cadenza.parameters"] == ("item",)

    # names, never values: neither the parameter nor the secret left the process
    raw = receiver.raw()
    assert VALUE.encode() not in raw and VALUE.upper().encode() not in raw
    assert SECRET.encode() not in raw


def test_parameter_values_are_recorded_only_when_configured_and_secrets_never(
    run_script, receiver
) -> None:
    run_script(FLOWS, CADENZA_OTEL_PARAMETER_VALUES="item,token")

    flaky = receiver.one("task flaky")
    assert flaky.attributes["cadenza.parameter.item"] == VALUE
    assert flaky.attributes["cadenza.parameter.token"] == "********"
    flow_span = receiver.one("flow parent")
    assert flow_span.attributes["cadenza.parameter.item"] == VALUE
    assert flow_span.attributes["cadenza.parameter.token"] == "********"
    assert receiver.one("flow child").attributes["cadenza.parameter.item"] == VALUE.upper()
    assert SECRET.encode() not in receiver.raw()


def test_a_process_without_tracing_configured_loads_and_sends_nothing(
    run_script, receiver, otel_env
) -> None:
    del otel_env["OTEL_EXPORTER_OTLP_ENDPOINT"]
    out = run_script(
        """
        import sys
        from cadenza import flow

        @flow
        def quiet() -> int:
            return 1

        assert quiet() == 1
        import cadenza_otel.plugin as plugin
        print(sorted(n for n in vars(plugin) if n.startswith(("on_", "run_"))))
        print(any(m.startswith("opentelemetry") for m in sys.modules))
        """,
        OTEL_EXPORTER_OTLP_ENDPOINT="",
    )
    assert out.split("\n")[:2] == ["[]", "False"]
    assert receiver.bodies == []


def test_a_flow_called_inside_an_application_span_continues_its_trace(run_script, receiver) -> None:
    run_script(
        """
        from opentelemetry import trace
        from cadenza import flow, task

        @task
        def work() -> int:
            # a span the task's own code starts is a child of the task run's span
            with trace.get_tracer("app").start_as_current_span("inside the task"):
                return 1

        @flow
        def traced() -> int:
            return work()

        assert traced() == 1
        with trace.get_tracer("app").start_as_current_span("application"):
            assert traced() == 1
        """
    )
    application = receiver.one("application")
    first, second = sorted(receiver.named("flow traced"), key=lambda s: s.start)
    assert first.parent_span_id == ""
    assert second.parent_span_id == application.span_id
    assert second.trace_id == application.trace_id
    tasks = {s.parent_span_id: s for s in receiver.named("task work")}
    inner = receiver.named("inside the task")
    assert {s.parent_span_id for s in inner} == {tasks[first.span_id].span_id,
                                                 tasks[second.span_id].span_id}  # fmt: skip


def test_a_failure_that_is_not_retried_after_all_ends_its_span_as_failed(
    run_script, receiver
) -> None:
    run_script(
        """
        from cadenza import flow, task

        @task(retries=2, retry_condition_fn=lambda task, run, state: False)
        def once() -> None:
            raise KeyError("no retry for this")

        @flow
        def refusing() -> str:
            return once(return_state=True).type.value

        assert refusing() == "FAILED"
        """
    )
    flow_span, task_span = receiver.one("flow refusing"), receiver.one("task once")
    assert task_span.parent_span_id == flow_span.span_id
    assert task_span.status_code == 2 and task_span.attributes["cadenza.state.type"] == "FAILED"
    assert task_span.end <= flow_span.end
    attempt = receiver.one("task once attempt 1")
    assert attempt.parent_span_id == task_span.span_id and attempt.status_code == 2
    assert not receiver.named("task once attempt 2")
    assert any(name == "exception" for name, _ in task_span.events)


def test_a_task_called_inside_a_task_is_that_task_runs_child(run_script, receiver) -> None:
    run_script(
        """
        from cadenza import flow, task

        @task
        def inner(x: int) -> int:
            return x + 1

        @task(retries=1)
        def outer(x: int) -> int:
            return inner(x) + inner.submit(x).result()

        @task
        def beside(x: int) -> int:
            return x

        @flow
        def nesting() -> int:
            return outer(1) + beside(1)

        assert nesting() == 5
        """
    )
    flow_span = receiver.one("flow nesting")
    outer, beside = receiver.one("task outer"), receiver.one("task beside")
    attempt = receiver.one("task outer attempt 1")
    assert outer.parent_span_id == beside.parent_span_id == flow_span.span_id
    inner = receiver.named("task inner")
    assert len(inner) == 2
    assert {s.parent_span_id for s in inner} == {attempt.span_id}
    assert {s.trace_id for s in inner} == {flow_span.trace_id}


def test_a_paused_run_the_process_abandons_ends_its_span_at_exit(run_script, receiver) -> None:
    run_script(
        """
        import sys
        import threading

        from cadenza import flow, pause_flow_run

        @flow
        def waiting() -> None:
            pause_flow_run(timeout=600, poll_interval=0.1)

        thread = threading.Thread(target=waiting, daemon=True)
        thread.start()
        thread.join(3)  # paused, never resumed: the process exits under it
        sys.exit(0)
        """
    )
    abandoned = receiver.one("flow waiting")
    assert abandoned.attributes["cadenza.span.unfinished"] is True
    assert "Paused" in [name for name, _ in abandoned.events]
