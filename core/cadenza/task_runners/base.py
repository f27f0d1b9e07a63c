"""The `TaskRunner` interface: what a runner implements, and the scheduling every runner shares.

A runner receives submissions (`TaskRunner.submit`, `TaskRunner.map`: a task and its bound
parameters, which may hold futures of other task runs). The task run is created at once, in the
submitting thread. It is handed to the runner's `TaskRunner.launch` hook, as a `ReadyTaskRun`,
only when every future it depends on is done — nothing occupies a worker while waiting, so
dependent tasks cannot deadlock a bounded pool. Inputs are resolved just before launch; a failed
upstream (not wrapped in `allow_failure`) makes the run Failed/NotReady without launching it.

A runner decides only *where* a ready run executes. It implements `TaskRunner.launch` — start
the run somewhere; when it has ended, settle it through the `ReadyTaskRun` (`execute` it in a
thread of this process, or send its `payload` elsewhere and `collect` what comes back) — and
`TaskRunner.duplicate`; optionally ``__enter__`` / `TaskRunner.shutdown` for resources and
`TaskRunner.stop_running` to interrupt runs under way. docs/howto/write-a-task-runner.md walks
through one.

When the flow run is interrupted (Ctrl-C, SIGTERM, cancellation), `TaskRunner.cancel_all` stops
what is left without waiting for it: runs not started yet never start and end Cancelled; runs
under way are interrupted where the runner can (`stop_running`) and abandoned, Crashed, after a
short grace. Every submitted run ends with a final state in the record either way.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextvars
import threading
import time
from typing import TYPE_CHECKING, Any

from cadenza.engine.caching import try_cached
from cadenza.engine.inputs import UpstreamFailure, collect_futures, resolve, task_inputs
from cadenza.engine.task_engine import new_task_run, not_ready, reused
from cadenza.futures import CadenzaFuture, CadenzaFutureList
from cadenza.task_runners.mapping import expand
from cadenza.task_runners.ready import ReadyTaskRun, crashed, stopped

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cadenza.backends.base import Backend
    from cadenza.runs import TaskRun
    from cadenza.states import State
    from cadenza.tasks import Task

#: Seconds `cancel_all` gives runs under way to stop before it records them Crashed.
CANCEL_GRACE_S = 1.0


class TaskRunner:
    """Runs submitted task runs. Use as a context manager; `duplicate()` gives a fresh copy.

    A flow run duplicates its flow's runner, enters it at its first submission and exits it at
    its end. Subclasses implement `launch` and `duplicate` (see the module docstring and
    docs/howto/write-a-task-runner.md); `submit`, `map`, `wait_all` and `cancel_all` are the
    same for every runner. A ``slug`` class attribute names the runner in the plugin registry
    (default: the class name in lower-kebab case).
    """

    launches_elsewhere = False
    """True for runners whose runs execute in another process: cache hits are then served in
    the submitting process, before `launch`, since a worker cannot read the record."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._all_done = threading.Condition(self._lock)
        # Every submitted run not final yet, by its outcome future: what `cancel_all` settles.
        self._open: dict[cf.Future[State[Any]], tuple[TaskRun, Backend]] = {}
        self._started = False
        self._cancelled: BaseException | None = None  # why `cancel_all` was called
        self._stopping: set[cf.Future[State[Any]]] = set()  # runs `_stop` has claimed
        # Runs handed to `launch`, kept only when they launch elsewhere: a run stopped before
        # its launch is known never to have started; one launched may have, out of sight.
        self._launched: set[cf.Future[State[Any]]] = set()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        gone = [name for name in ("_launch", "_stop_running") if name in cls.__dict__]
        if gone:
            raise TypeError(
                f"{cls.__qualname__} overrides {', '.join(gone)}, which TaskRunner no longer "
                "calls: implement launch(ready) and stop_running(reason, deadline) instead "
                "(docs/howto/write-a-task-runner.md)"
            )

    @property
    def name(self) -> str:
        """A short name for messages: the class name without ``TaskRunner``, lower-cased."""
        return type(self).__name__.removesuffix("TaskRunner").lower() or "task_runner"

    @property
    def cancelled_by(self) -> BaseException | None:
        """The interruption `cancel_all` was called with, or None. Once set, nothing new may
        start: a runner's workers check it before they start a run, and `stop` the run instead."""
        return self._cancelled

    # -- the hooks a runner implements ----------------------------------------------------------
    def duplicate(self) -> TaskRunner:
        """A new, unstarted runner with the same configuration (one per flow run)."""
        raise NotImplementedError(f"{type(self).__name__} must implement duplicate()")

    def launch(self, ready: ReadyTaskRun) -> None:
        """Start a ready run somewhere, and return without waiting for it.

        When the run has ended, settle it through ``ready``, exactly once: `ReadyTaskRun.execute`
        runs it in the calling thread (call it from a worker thread of yours); for another
        process or machine, send `ReadyTaskRun.payload` there, run it with `run_packed`, and hand
        the result to `ReadyTaskRun.collect` (or its future to `ReadyTaskRun.collect_future`).
        `ReadyTaskRun.crash` settles a run that could not run. An exception raised here makes
        the run Crashed.

        Called in whichever thread completed the run's last dependency (the submitting thread
        when it has none), so it must be quick and thread-safe.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement launch(ready)")

    def stop_running(self, reason: BaseException, deadline: float) -> None:
        """Stop what this runner still holds, for `cancel_all`: the flow run was interrupted by
        ``reason``. Return by ``deadline`` (a `time.monotonic` value).

        Settle runs queued but not started with `ReadyTaskRun.stop` (they end Cancelled), and
        interrupt runs under way where the runner can. Whatever is not final when this returns is
        recorded Crashed and abandoned. This default stops nothing.
        """

    def shutdown(self, wait: bool = True) -> None:
        """Release what the runner holds (threads, processes, a cluster client). `__exit__` calls
        it with ``wait=True`` once every run is final; a flow run that was interrupted calls it
        with ``wait=False``, when runs may still be under way. This default holds nothing."""

    def __enter__(self) -> TaskRunner:
        """Start the runner (acquire its resources); returns itself."""
        self._started = True
        return self

    def __exit__(self, *exc_info: Any) -> None:
        """Wait for every submitted run to be final, then `shutdown` — without waiting, if the
        wait itself was interrupted."""
        try:
            self.wait_all()
        except BaseException:
            self._started = False
            self.shutdown(wait=False)
            raise
        self._started = False
        self.shutdown(wait=True)

    # -- submission -----------------------------------------------------------------------------
    def submit(
        self,
        task: Task[..., Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: Any = None,
    ) -> CadenzaFuture[Any]:
        """Create the task run now; `launch` it once everything it depends on is done.

        Futures in ``parameters`` (also inside lists, tuples, sets and dict values) and in
        ``wait_for`` are its dependencies. Returns the run's future at once.
        """

        upstream = collect_futures(parameters)
        if wait_for:
            collect_futures(list(wait_for), upstream)
        inputs = task_inputs(parameters, wait_for) if upstream else None
        run, backend, log_prints = new_task_run(task, (), parameters, inputs)
        outcome: cf.Future[State[Any]] = cf.Future()
        with self._lock:
            self._open[outcome] = (run, backend)
        context = contextvars.copy_context()

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
        the runner can (`stop_running`) and have `grace` seconds to record how they ended;
        any still going then are recorded Crashed and abandoned. On return every submitted
        run has a final state and a resolved future. Runs submitted later end Cancelled.
        """
        self._cancelled = reason
        self.stop_running(reason, time.monotonic() + grace)
        with self._lock:
            left = list(self._open.items())
        for outcome, (run, backend) in left:
            self._stop(outcome, run, backend)

    # -- settling (every path ends in `_resolve`) -----------------------------------------------
    def _stop(self, outcome: cf.Future[State[Any]], run: TaskRun, backend: Backend) -> None:
        """Settle a run `cancel_all` stops (once, whichever thread gets there first)."""
        with self._lock:
            if outcome in self._stopping or outcome.done():
                return
            self._stopping.add(outcome)
        reason: BaseException = self._cancelled  # type: ignore[assignment]  # set before
        maybe_started = outcome in self._launched
        self._resolve(outcome, stopped(run, backend, reason, maybe_started))

    def _resolve(self, outcome: cf.Future[State[Any]], state: State[Any]) -> None:
        """Set a submitted run's final state (the first call for a run wins, so that a run
        `cancel_all` settled ignores its late worker)."""
        try:
            outcome.set_result(state)
        except cf.InvalidStateError:
            return
        if self.launches_elsewhere:
            self._launched.discard(outcome)
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
            if self.launches_elsewhere:
                self._launched.add(outcome)  # before the check: `cancel_all` sets, then reads
                # read again (through the property: a type checker would take the check above
                # as still holding)
                if self.cancelled_by is not None:  # interrupted meanwhile: never launched
                    self._launched.discard(outcome)
                    self._stop(outcome, run, backend)
                    return
            self.launch(
                ReadyTaskRun(self, task, run, backend, log_prints, args, kwargs, outcome, context)
            )
        except BaseException as exc:  # never leave a future unresolved
            if not outcome.done():
                self._resolve(outcome, crashed(run, backend, exc))
            if not isinstance(exc, Exception):
                raise  # a signal (SIGTERM, Ctrl-C) is the flow run's to handle, not this run's


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


__all__ = ["CANCEL_GRACE_S", "TaskRunner"]
