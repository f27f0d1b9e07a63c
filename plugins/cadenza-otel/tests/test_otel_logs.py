"""Run log lines as OpenTelemetry logs: only when asked for (``CADENZA_OTEL_LOGS=true``), each
with its run's trace context and secrets masked."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

LOGGING_FLOW = """
from cadenza import flow, get_run_logger, task
from cadenza.masking import register

register("s3cr3t-password-99")


@task
def chatty() -> None:
    get_run_logger().warning("the password is s3cr3t-password-99")


@flow
def noisy() -> None:
    get_run_logger().info("flow says hello")
    chatty()


if __name__ == "__main__":
    noisy()
"""


def test_run_logs_are_exported_with_their_spans_context_when_asked(run_script, receiver) -> None:
    run_script(LOGGING_FLOW, CADENZA_OTEL_LOGS="true")

    flow_span, task_span = receiver.one("flow noisy"), receiver.one("task chatty")
    by_body = {r.body: r for r in receiver.logs}
    hello = by_body["flow says hello"]
    assert hello.trace_id == flow_span.trace_id and hello.span_id == flow_span.span_id
    assert hello.severity_number == 9  # INFO
    assert hello.attributes["cadenza.flow_run.id"] == flow_span.attributes["cadenza.run.id"]
    warning = by_body["the password is ********"]
    assert warning.span_id == task_span.span_id and warning.severity_number == 13  # WARN
    assert warning.attributes["cadenza.task_run.id"] == task_span.attributes["cadenza.run.id"]
    assert b"s3cr3t-password-99" not in receiver.raw()


def test_run_logs_are_not_exported_by_default(run_script, receiver) -> None:
    run_script(LOGGING_FLOW)
    assert receiver.one("flow noisy")
    assert receiver.logs == []
