"""Spans from state changes: one per flow run, per task run, and per attempt of a run that may
retry; exceptions as span events.

A run's span starts at its first state and ends at its final one, with the states' own times,
so a span lasts exactly as long as the run did. Its parent, in order of preference:

1. the span of its parent run in this process — for a task run, the run whose body called or
   submitted it (a task called inside another task's body is that task's child, else the flow
   run's); a subflow's calling task run or flow run (their attempt span, when they have one);
2. the trace context it carries (`cadenza.runs.TaskRun.trace_context`: a task run executed on a
   process or cluster worker, packed with its submitter's context by the core);
3. for a flow run without a parent here, ``TRACEPARENT``/``TRACESTATE`` from the environment
   (OpenTelemetry's environment carrier: `run_deployment` puts them in the new run's ``env``
   job variable, so a worker's or ``serve``'s child process has them);
4. the current OpenTelemetry context (a flow called inside a span of the application's own).

While a run is Running, its span (its attempt's) is the current OpenTelemetry context of the
thread that runs its body, so spans that the body starts — an instrumented HTTP client, the
application's own — are its children, on a worker too.

A run with retries gets a child span per attempt (``Running``/``Retrying`` to the attempt's
outcome). A failed attempt that still has retries left might be the last one (a
``retry_condition_fn`` can refuse): its run's span waits for the next state — AwaitingRetry
keeps it open — and is otherwise ended, with the failed state's time, when the next state of the
run arrives, when its flow run ends here, or at the latest when the process exits.

A suspended flow run (Paused, named Suspended) leaves its process, which exits; it is resumed
by another: its span ends at the suspension, and the resumed run starts a new span. Any span
still open when the process exits (a run paused and never resumed, a run the process abandoned)
is ended then, marked ``cadenza.span.unfinished``: nothing started is lost from the trace.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
import traceback
from typing import Any

from cadenza.context import TaskRunContext
from cadenza.masking import mask
from cadenza.states import TERMINAL_STATES, StateType
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from cadenza_otel import _attributes
from cadenza_otel._config import Config

_W3C = TraceContextTextMapPropagator()
_ERRORS = (StateType.FAILED, StateType.CRASHED)
_RUNNING = StateType.RUNNING
_FAILED = StateType.FAILED
_SCHEDULED = StateType.SCHEDULED
_PAUSED = StateType.PAUSED


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


class _Open:
    """A run whose span is open: the span, its current attempt's span, a pending end."""

    __slots__ = ("attempt", "flow_run_id", "name", "pending", "remote", "restore", "span")

    def __init__(self, name: str, span: Any, flow_run_id: str | None, remote: bool) -> None:
        self.name = name
        self.span = span
        self.attempt: Any = None
        self.pending: Any = None  # the failed state that may be final (module docstring)
        self.flow_run_id = flow_run_id
        self.restore: Any = None  # the context current before the run's body (while Running)
        self.remote = remote  # the run's trace came with it: this process is a worker

    @property
    def current(self) -> Any:
        """The innermost open span: the attempt's, else the run's."""
        return self.attempt if self.attempt is not None else self.span


class Tracker:
    """Turns the observer hooks' calls into spans. Thread-safe: observers are called from
    whichever thread moves a run."""

    def __init__(self, config: Config, tracer: Any, flush: Any) -> None:
        self.config = config
        self.tracer = tracer
        self._flush = flush  # exports what is buffered (a worker's runs, before it returns)
        self._open: dict[str, _Open] = {}
        # id() of every open span and attempt span -> the flow run it belongs to: which run's
        # body a new task run was called from (`_parent`)
        self._owners: dict[int, str | None] = {}
        self._lock = threading.Lock()

    # -- the hooks ---------------------------------------------------------------------------
    def state_changed(self, run: Any, new_state: Any) -> None:
        with self._lock:
            entry = self._open.get(run.id)
        if entry is not None and entry.pending is not None:
            pending, entry.pending = entry.pending, None
            if new_state.type is not _SCHEDULED:  # not AwaitingRetry: the failure was final
                self._end(run.id, entry, pending)
                entry = None
        if entry is None:
            entry = self._start(run, new_state)
        span = entry.span
        span.add_event(new_state.name, _attributes.state(new_state), _ns(new_state.ts))
        state_type = new_state.type
        if entry.attempt is not None and state_type is not _RUNNING:
            self._end_attempt(entry, new_state)
        if state_type is _RUNNING:
            if run.retries:
                entry.attempt = self.tracer.start_span(
                    f"{entry.name} attempt {run.run_count}",
                    context=trace.set_span_in_context(span),
                    attributes={"cadenza.run.id": run.id, "cadenza.run.attempt": run.run_count},
                    start_time=_ns(new_state.ts),
                )
                with self._lock:
                    self._owners[id(entry.attempt)] = entry.flow_run_id
            # The body runs next, in this thread: spans it starts are the run's children.
            entry.restore = otel_context.get_current()
            otel_context.attach(trace.set_span_in_context(entry.current))
        elif entry.restore is not None:  # the body is done: what was current before is again
            restore, entry.restore = entry.restore, None
            otel_context.attach(restore)
        if state_type in TERMINAL_STATES:
            if state_type is _FAILED and run.run_count <= run.retries:
                entry.pending = new_state
            else:
                self._end(run.id, entry, new_state)
            if run.kind == "flow":
                self._end_pending_of(run.id)
        elif state_type is _PAUSED and new_state.name == "Suspended":
            self._end(run.id, entry, new_state)  # another process resumes it (docstring)

    def trace_context(self, run_id: str) -> dict[str, str] | None:
        with self._lock:
            entry = self._open.get(run_id)
        if entry is None:
            return None
        carrier: dict[str, str] = {}
        _W3C.inject(carrier, context=trace.set_span_in_context(entry.current))
        return carrier or None

    def span_context_of(self, flow_run_id: str | None, task_run_id: str | None) -> Any:
        """The OpenTelemetry context of the innermost open span of those runs (None: none)."""
        with self._lock:
            entry = self._open.get(task_run_id or "") or self._open.get(flow_run_id or "")
        return None if entry is None else trace.set_span_in_context(entry.current)

    # -- starting and ending -----------------------------------------------------------------
    def _start(self, run: Any, new_state: Any) -> _Open:
        parent, remote = self._parent(run)
        if run.kind == "flow":
            name = f"flow {run.flow_name}"
            attributes = _attributes.flow_run(run)
            attributes.update(_attributes.parameters(self.config, run.parameters or {}))
            flow_run_id = run.id
        else:
            name = f"task {run.task_name}"
            attributes = _attributes.task_run(run)
            attributes.update(self._task_parameters(run))
            flow_run_id = run.flow_run_id
        span = self.tracer.start_span(
            name, context=parent, attributes=attributes, start_time=_ns(new_state.ts)
        )
        entry = _Open(name, span, flow_run_id, remote)
        with self._lock:
            self._open[run.id] = entry
            self._owners[id(span)] = flow_run_id
        return entry

    def _task_parameters(self, run: Any) -> dict[str, Any]:
        """The parameter attributes of a task run, read from its context (this is its thread);
        binding the call's arguments only when some value is to be recorded."""
        context = TaskRunContext.get()
        if context is None or context.task_run is not run:
            return {}
        if self.config.parameter_values:
            return _attributes.parameters(self.config, context.parameters())
        return {"cadenza.parameters": _parameter_names(context.task.fn)}

    def _parent(self, run: Any) -> tuple[Any, bool]:
        """(the context the run's span starts in, whether it came with the run)."""
        ids: tuple[str | None, ...]
        if run.kind == "flow":
            ids = (run.parent_task_run_id, run.parent_flow_run_id)
        else:
            ids = (run.flow_run_id,)
            # called or submitted from a body of the same flow run: this thread's current span
            caller = trace.get_current_span()
            with self._lock:
                if run.flow_run_id and self._owners.get(id(caller), "") == run.flow_run_id:
                    return trace.set_span_in_context(caller), False
        with self._lock:
            for run_id in ids:
                entry = self._open.get(run_id) if run_id else None
                if entry is not None:
                    return trace.set_span_in_context(entry.current), False
        if run.kind == "task":
            carried = getattr(run, "trace_context", None)
            if carried:
                return _W3C.extract(carried), True
        elif os.environ.get("TRACEPARENT"):
            carrier = {"traceparent": os.environ["TRACEPARENT"]}
            if os.environ.get("TRACESTATE"):
                carrier["tracestate"] = os.environ["TRACESTATE"]
            return _W3C.extract(carrier), False
        return None, False  # the current context

    def _end_attempt(self, entry: _Open, new_state: Any) -> None:
        attempt, entry.attempt = entry.attempt, None
        _set_outcome(attempt, new_state)
        attempt.end(_ns(new_state.ts))
        with self._lock:
            self._owners.pop(id(attempt), None)

    def _end(self, run_id: str, entry: _Open, final_state: Any) -> None:
        span = entry.span
        if entry.attempt is not None:
            self._end_attempt(entry, final_state)
        span.set_attributes(_attributes.state(final_state))
        _set_outcome(span, final_state)
        span.end(_ns(final_state.ts))
        with self._lock:
            if self._open.get(run_id) is entry:
                del self._open[run_id]
            self._owners.pop(id(span), None)
        if entry.remote:  # a worker's process may end without exiting cleanly: export now
            self._flush()

    def end_pending(self) -> None:
        """At the process's exit: end every span still waiting to know whether its run's
        failure was final (it was), then every span still open, as unfinished."""
        self._end_pending_of(None)
        with self._lock:
            still_open = list(self._open.items())
        for run_id, entry in still_open:
            if entry.restore is not None:
                entry.restore = None
            for span in (entry.attempt, entry.span):
                if span is not None:
                    span.set_attribute("cadenza.span.unfinished", True)
                    span.end()
            entry.attempt = None
            with self._lock:
                if self._open.get(run_id) is entry:
                    del self._open[run_id]
                self._owners.pop(id(entry.span), None)

    def _end_pending_of(self, flow_run_id: str | None) -> None:
        """End the spans of the flow run's runs (None: of every run) whose last failure turned
        out final."""
        with self._lock:
            waiting = [
                (run_id, e)
                for run_id, e in self._open.items()
                if e.pending is not None and flow_run_id in (None, e.flow_run_id)
            ]
        for run_id, entry in waiting:
            pending, entry.pending = entry.pending, None
            if pending is not None:
                self._end(run_id, entry, pending)


def _set_outcome(span: Any, state: Any) -> None:
    """The span's status (an error for Failed and Crashed) and, when the state holds the
    exception, an ``exception`` event."""
    if state.type not in _ERRORS:
        if state.type is StateType.COMPLETED:
            span.set_status(Status(StatusCode.OK))
        return
    error = state.data
    if isinstance(error, BaseException):  # as Span.record_exception, with secrets masked
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        exception = {
            "exception.type": f"{type(error).__module__}.{type(error).__qualname__}",
            "exception.message": mask(str(error)),
            "exception.stacktrace": mask(stack),
            "exception.escaped": False,
        }
        span.add_event("exception", exception, _ns(state.ts))
    span.set_status(Status(StatusCode.ERROR, mask(state.message or state.name)))


@functools.lru_cache(maxsize=1024)
def _parameter_names(fn: Any) -> tuple[str, ...]:
    """The parameter names of a task's function (the signature is read once per function)."""
    try:
        return tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return ()


__all__ = ["Tracker"]
