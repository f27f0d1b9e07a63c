"""The `TaskRunner` interface, and the scheduling every runner shares.

A runner receives submissions (a task and its bound parameters, which may hold futures of other
task runs). The task run is created at once, in the submitting thread. It is handed to the
runner's `_launch` only when every future it depends on is done — nothing occupies a worker
while waiting, so dependent tasks cannot deadlock a bounded pool. Inputs are resolved just before
launch; a failed upstream (not wrapped in `allow_failure`) makes the run Failed/NotReady without
running it.

When the flow run is interrupted (Ctrl-C, SIGTERM, cancellation), `cancel_all` stops what is
left without waiting for it: runs not started yet never start and end Cancelled; runs under way
are interrupted where the runner can (`_stop_running`) and abandoned, Crashed, after a short
grace. Every submitted run ends with a final state in the record either way.

To write a runner, subclass `TaskRunner` and implement `_launch` (start the run somewhere and
eventually set `outcome` to its final `State`), `duplicate`, and optionally `__enter__` /
`__exit__` for resources and `_stop_running`. Remote runners can use
`cadenza.task_runners.remote`.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextvars
import threading
import time
from typing import TYPE_CHECKING, Any

from cadenza.engine.caching import try_cached
from cadenza.engine.inputs import UpstreamFailure, collect_futures, resolve
from cadenza.engine.lifecycle import record_interruption
from cadenza.engine.signals import cause
from cadenza.engine.task_engine import new_task_run, not_ready, reused
from cadenza.futures import CadenzaFuture, CadenzaFutureList
from cadenza.logging.loggers import run_logger
from cadenza.states import State, StateDetails, StateType
from cadenza.task_runners.mapping import expand

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cadenza.backends.base import Backend
    from cadenza.runs import TaskRun
    from cadenza.tasks import Task

#: Seconds `cancel_all` gives runs under way to stop before it records them Crashed.
CANCEL_GRACE_S = 1.0


class TaskRunner:
    """Runs submitted task runs. Use as a context manager; `duplicate()` gives a fresh copy."""

    #: True for runners whose runs execute in another process: cache hits are then served
    #: here, before launch, since the worker cannot read the record.
    launches_elsewhere = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._all_done = threading.Condition(self._lock)
        # Every submitted run not final yet, by its outcome future: what `cancel_all` settles.
        self._open: dict[cf.Future[State[Any]], tuple[TaskRun, Backend]] = {}
        self._started = False
        self._cancelled: BaseException | None = None  # why `cancel_all` was called
        self._stopping: set[cf.Future[State[Any]]] = set()  # runs `_stop` has claimed

    @property
    def name(self) -> str:
        return type(self).__name__.removesuffix("TaskRunner").lower() or "task_runner"

    def duplicate(self) -> TaskRunner:
        """A new, unstarted runner with the same configuration (one per flow run)."""
        raise NotImplementedError

    def __enter__(self) -> TaskRunner:
        self._started = True
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.wait_all()
        self._started = False

    # -- submission -----------------------------------------------------------------------------
    def submit(
        self,
        task: Task[..., Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: Any = None,
    ) -> CadenzaFuture[Any]:
        """Create the task run now; run it once everything it depends on is done."""

        run, backend, log_prints = new_task_run(task, (), parameters)
        outcome: cf.Future[State[Any]] = cf.Future()
        with self._lock:
            self._open[outcome] = (run, backend)
        context = contextvars.copy_context()
        upstream = collect_futures(parameters)
        if wait_for:
            collect_futures(list(wait_for), upstream)

        def start() -> None:
            self._start(task, run, backend, log_prints, parameters, outcome, context)

        if upstream:
            _when_all_done(upstream, start)
        else:
            start()
        return CadenzaFuture(outcome, run)

    def map(
        self,
        task: Task[..., Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
    ) -> CadenzaFutureList[Any]:
        """Submit one run per element of the iterable parameters (see `Task.map`)."""

        return CadenzaFutureList(
            self.submit(task, call, wait_for) for call in expand(task, parameters)
        )

    def wait_all(self) -> None:
        """Block until every run submitted so far is final (also those submitted meanwhile)."""
        with self._all_done:
            while self._open:
                self._all_done.wait()

    def cancel_all(self, reason: BaseException, grace: float = CANCEL_GRACE_S) -> None:
        """The flow run was interrupted by `reason` (Ctrl-C, SIGTERM, asyncio cancellation):
        stop every run not final yet, without waiting for the queue.

        Runs not started never start: they end Cancelled. Runs under way are interrupted where
        the runner can (`_stop_running`) and have `grace` seconds to record how they ended;
        any still going then are recorded Crashed and abandoned. On return every submitted
        run has a final state and a resolved future. Runs submitted later end Cancelled.
        """
        self._cancelled = reason
        self._stop_running(reason, time.monotonic() + grace)
        with self._lock:
            left = list(self._open.items())
        for outcome, (run, backend) in left:
            self._stop(outcome, run, backend)

    def _stop_running(self, reason: BaseException, deadline: float) -> None:
        """Stop the runs under way (by `time.monotonic()` `deadline`); for `cancel_all`.

        This default stops nothing: runs under way elsewhere are abandoned at once.
        """

    def _stop(self, outcome: cf.Future[State[Any]], run: TaskRun, backend: Backend) -> None:
        """Settle a run `cancel_all` stops (once, whichever thread gets there first)."""
        with self._lock:
            if outcome in self._stopping or outcome.done():
                return
            self._stopping.add(outcome)
        reason: BaseException = self._cancelled  # type: ignore[assignment]  # set before
        self._resolve(outcome, stopped(run, backend, reason, self.launches_elsewhere))

    def _resolve(self, outcome: cf.Future[State[Any]], state: State[Any]) -> None:
        """Set a submitted run's final state (every launch path ends here; the first call for
        a run wins, so that a run `cancel_all` settled ignores its late worker)."""
        try:
            outcome.set_result(state)
        except cf.InvalidStateError:
            return
        with self._all_done:
            self._open.pop(outcome, None)
            if not self._open:
                self._all_done.notify_all()

    def _start(
        self,
        task: Task[..., Any],
        run: TaskRun,
        backend: Backend,
        log_prints: bool,
        parameters: dict[str, Any],
        outcome: cf.Future[State[Any]],
        context: contextvars.Context,
    ) -> None:

        if self._cancelled is not None:  # its upstream ended after the flow run was interrupted
            self._stop(outcome, run, backend)
            return
        try:
            try:
                resolved = resolve(parameters)
            except UpstreamFailure as failure:
                self._resolve(outcome, not_ready(run, backend, failure))
                return
            args, kwargs = task.call_arguments(resolved)
            if run.reuse_ref is not None:
                state = context.run(reused, run, backend)
                if state is not None:
                    self._resolve(outcome, state)
                    return
            if self.launches_elsewhere and task.cache_policy_in_effect is not None:
                hit = try_cached(task, run, backend, args, kwargs)
                if hit is not None:
                    self._resolve(outcome, hit)
                    return
            self._launch(task, run, backend, log_prints, args, kwargs, outcome, context)
        except BaseException as exc:  # never leave a future unresolved
            if not outcome.done():
                self._resolve(outcome, crashed(run, backend, exc))
            if not isinstance(exc, Exception):
                raise  # a signal (SIGTERM, Ctrl-C) is the flow run's to handle, not this run's

    def _launch(
        self,
        task: Task[..., Any],
        run: TaskRun,
        backend: Backend,
        log_prints: bool,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        outcome: cf.Future[State[Any]],
        context: contextvars.Context,
    ) -> None:
        """Run the created task run; when it ends, call ``self._resolve(outcome, final_state)``."""
        raise NotImplementedError


def crashed(run: TaskRun, backend: Backend, exc: BaseException) -> State[Any]:
    """Record that the runner could not run `run` (e.g. a worker process died), or, for an
    interruption (`exc` not an `Exception`), how it ended."""

    if run.state is not None and run.state.is_final():  # the lifecycle recorded how it ended
        return run.state
    if not isinstance(exc, Exception):
        return record_interruption(run, backend, exc, "Task")
    message = f"Task run could not be executed: {type(exc).__name__}: {exc}"
    details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
    state = State(StateType.CRASHED, None, message, exc, details)
    backend.propose(run, state)
    run_logger(run).error("%s", message)
    return state


def stopped(
    run: TaskRun, backend: Backend, reason: BaseException, maybe_started: bool = False
) -> State[Any]:
    """Record how `cancel_all` ended `run`: Cancelled if it never started, Crashed if it was
    abandoned under way (or, with `maybe_started`, may have started somewhere we cannot see)."""

    current = run.state
    if current is not None and current.is_final():
        return current
    why = f"its flow run was stopped by {cause(reason)}"
    never_started = not maybe_started if current is None else current.type in _READY
    if never_started:
        state_type, message = StateType.CANCELLED, f"Task run never started: {why}"
    else:
        state_type, message = StateType.CRASHED, f"Task run was abandoned: {why}"
    details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
    state = State(state_type, None, message, None, details)
    backend.propose(run, state)
    if not never_started:  # the state says it; a log line each would flood a cancelled map
        run_logger(run).warning("%s", message)
    return state


_READY = (StateType.PENDING, StateType.SCHEDULED)


def _when_all_done(futures: list[CadenzaFuture[Any]], callback: Any) -> None:
    """Call `callback()` once, in whichever thread completes the last of `futures`."""
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(_: Any) -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            callback()

    for future in futures:
        future._future.add_done_callback(one_done)
