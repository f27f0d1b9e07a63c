"""The tracker's span bookkeeping for states a script cannot easily reach on the embedded record
(a suspension needs a deployment to resume it), read from the SDK's in-memory exporter; the
export path itself is tested against a real OTLP/HTTP receiver in test_otel_traces.py."""

from __future__ import annotations

from cadenza.runs import FlowRun
from cadenza.states import Pending, Running, Suspended
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cadenza_otel._config import Config
from cadenza_otel._spans import Tracker


def _tracker() -> tuple[Tracker, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    return Tracker(Config(enabled=True), tracer, lambda: None), exporter


def test_a_suspended_flow_run_ends_its_span_and_its_resumption_starts_another() -> None:
    tracker, exporter = _tracker()
    run = FlowRun("suspending", "run-1", {})
    for state in (Pending(), Running(), Suspended()):
        tracker.state_changed(run, state)
    (span,) = exporter.get_finished_spans()
    assert span.name == "flow suspending"
    assert span.attributes is not None
    assert span.attributes["cadenza.state.name"] == "Suspended"
    assert tracker.trace_context(run.id) is None  # nothing of it stays open here
    tracker.state_changed(run, Running())  # resumed (here, or by another process)
    tracker.end_pending()
    first, second = exporter.get_finished_spans()
    assert second.attributes is not None and second.attributes["cadenza.span.unfinished"]
    assert "cadenza.span.unfinished" not in (first.attributes or {})


def test_at_exit_every_open_span_ends_once() -> None:
    tracker, exporter = _tracker()
    runs = [FlowRun("open", f"run-{i}", {}) for i in range(3)]
    for run in runs:
        tracker.state_changed(run, Running())
    tracker.end_pending()
    tracker.end_pending()
    assert len(exporter.get_finished_spans()) == 3
