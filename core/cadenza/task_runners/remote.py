"""Running a task run in another process or on another machine, with nothing lost.

The submitting side packs the task, its created run and its arguments with cloudpickle
(`ReadyTaskRun.payload`). The worker side, `run_packed`, executes the run with a
`CaptureBackend` as its flow run's backend, so states and log lines are captured instead of
written anywhere, and returns the final state with everything captured. The submitting side
(`ReadyTaskRun.collect`) hands those records to the flow's own backend — the embedded record or
the server — exactly as if the run had been local. Workers start nothing of their own: no
database, no connection, no threads; they need only cadenza and the task's own imports. (An
installed plugin that observes runs — a tracer — is loaded in a worker as in the flow's process,
and the task run carries its submitter's trace context, `TaskRun.trace_context`, for it.)

A worker on the submitting machine also appends each log line to a spool file in a directory
the submitting process made (`_Spool`), so the lines of a run whose worker dies before its
outcome travels back are still recorded, before the crash that ended it (`spooled_lines`).
"""

from __future__ import annotations

import atexit
import os
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cadenza import observers
from cadenza.backends.capture import CaptureBackend, read_spool
from cadenza.context import FlowRunContext, _flow_run_ctx, _task_run_ctx
from cadenza.engine.task_engine import execute
from cadenza.logging.capture import install_print_capture
from cadenza.logging.loggers import ensure_configured
from cadenza.states import State, StateType

if TYPE_CHECKING:
    from cadenza.backends.base import Backend
    from cadenza.runs import TaskRun
    from cadenza.states import State
    from cadenza.tasks import Task


class _FlowRunRef:
    """What a worker knows of the flow run: its id, name, flow name and tags (for logs, records
    and the events it emits), and the result options its task inherits (only when the task has
    none of its own)."""

    __slots__ = ("flow_name", "id", "name", "result_options", "tags")

    def __init__(self, id: str | None, name: str | None, result_options: Any = None,
                 flow_name: str | None = None, tags: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.id = id
        self.name = name
        self.result_options = result_options
        self.flow_name = flow_name
        self.tags = tags


class _Spool:
    """The submitting process's spool directory, made at its first remote run, removed at
    exit; each run's lines go to a file named by its id."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._lock = threading.Lock()

    def path(self, run_id: str) -> tuple[str, str]:
        """(this machine, the file) for run `run_id`'s lines."""
        if self._dir is None:
            with self._lock:
                if self._dir is None:
                    # lazily: only a flow that sends runs to other processes needs a spool
                    import shutil
                    import tempfile

                    made = Path(tempfile.mkdtemp(prefix="cadenza-lines-"))
                    atexit.register(shutil.rmtree, made, ignore_errors=True)
                    self._dir = made
        return socket.gethostname(), str(self._dir / run_id)

    def take(self, run_id: str) -> list[tuple[Any, ...]]:
        """The lines spooled for `run_id` (the file is removed)."""
        return [] if self._dir is None else read_spool(self._dir / run_id)


_spool = _Spool()


def _reachable(spool: tuple[str, str] | None) -> Path | None:
    """Where this worker spools its lines: only on the submitting machine, in its directory."""
    if spool is None or spool[0] != socket.gethostname():
        return None
    path = Path(spool[1])
    return path if os.path.isdir(path.parent) else None


def pack(
    task: Task[..., Any],
    run: TaskRun,
    log_prints: bool,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> bytes:
    """Submitting side: the run for `run_packed` (called in the submitting flow run's context)."""
    import cloudpickle

    ctx = FlowRunContext.get()
    flow_run = None
    if ctx is not None:
        inherited = ctx.flow_run.result_options if task.persist_result is None else None
        fr = ctx.flow_run
        flow_run = _FlowRunRef(fr.id, fr.name, inherited, fr.flow_name, tuple(fr.tags or ()))
    trace_context = observers.trace_context
    if trace_context is not None:  # a tracing plugin: the worker continues the submitter's trace
        submitter = _task_run_ctx.get()
        if submitter is not None:
            run.trace_context = trace_context(submitter.task_run.id)
        elif ctx is not None:
            run.trace_context = trace_context(ctx.flow_run.id)
    spool = _spool.path(run.id)
    payload: bytes = cloudpickle.dumps((task, run, log_prints, args, kwargs, flow_run, spool))
    return payload


def run_packed(payload: bytes) -> bytes:
    """Worker side: execute a run packed by `ReadyTaskRun.payload`; return its final state and
    everything it recorded, for `ReadyTaskRun.collect`.

    A remote task runner submits this function, with the payload, to wherever runs execute (a
    process pool, a cluster). It never raises for the task's own failure: a failed run comes
    back Failed, and a result that cannot be pickled comes back as a Failed state saying so.
    """
    import cloudpickle

    task, run, log_prints, args, kwargs, flow_run, spool = cloudpickle.loads(payload)
    run.queued = False  # queued in the submitting process's recorder, not in this one
    observers.prepare()  # plugins that observe runs see this worker's transitions (once)
    # The submitting process configured its own logging, not this worker's: the record handler
    # and the loggers of CADENZA_LOGGING_EXTRA_LOGGERS, and `print` with log_prints.
    ensure_configured()
    if log_prints:
        install_print_capture()
    backend = CaptureBackend(_reachable(spool))
    token = None
    if flow_run is not None:
        # A worker knows its flow run by id, name and result options (_FlowRunRef), not the
        # Flow object: enough for what a task run reads from its flow run's context.
        context = FlowRunContext(None, flow_run, backend, log_prints)  # type: ignore[arg-type]  # see above
        token = _flow_run_ctx.set(context)
    try:
        state = execute(task, run, backend, log_prints, args, kwargs)
    finally:
        if token is not None:
            _flow_run_ctx.reset(token)
        backend.close()
    _, states, logs, cache, artifacts, events = backend.drain()  # the run itself travels back whole
    try:
        sent: bytes = cloudpickle.dumps((state, run, states, logs, cache, artifacts, events))
        return sent
    except Exception as exc:  # the result itself cannot travel back
        message = f"Task run result could not be sent back: {type(exc).__name__}: {exc}"
        failed = State(StateType.FAILED, None, message, RuntimeError(message), state.state_details)
        sent = cloudpickle.dumps((failed, run, states, logs, cache, artifacts, events))
        return sent


def unpack_into(payload: bytes, run: TaskRun, backend: Backend) -> State[Any]:
    """Submitting side: record what the worker captured; return the final state."""
    import cloudpickle

    state: State[Any]  # what run_packed sent back
    state, remote_run, states, logs, cache, artifacts, events = cloudpickle.loads(payload)
    for field in ("state", "start_time", "end_time", "run_count", "result_ref", "cache_key"):
        setattr(run, field, getattr(remote_run, field))
    run.state = state
    ingest = getattr(backend, "ingest", None)
    if ingest is None:
        raise TypeError(f"{type(backend).__name__} cannot record remote task runs (no ingest)")
    # Lines spooled and not sent back: those of an attempt whose worker died before a retry
    # (a cluster may run a task again elsewhere). Every line has its own id, kept once.
    sent = {line[-1] for line in logs}
    earlier = [line for line in _spool.take(run.id) if line[-1] not in sent]
    ingest([run], states, earlier + logs if earlier else logs, cache, artifacts, events)
    return state


def spooled_lines(run: TaskRun, backend: Backend) -> None:
    """Submitting side, for a run whose worker never sent its outcome back: record the log
    lines it spooled before it died."""
    lines = _spool.take(run.id)
    ingest = getattr(backend, "ingest", None)
    if lines and ingest is not None:
        ingest([], [], lines)


__all__ = ["run_packed"]
