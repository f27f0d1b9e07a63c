"""The `TaskRunner` interface, and the scheduling every runner shares.

A runner receives submissions (a task and its bound parameters, which may hold futures of other
task runs). The task run is created at once, in the submitting thread. It is handed to the
runner's `_launch` only when every future it depends on is done — nothing occupies a worker
while waiting, so dependent tasks cannot deadlock a bounded pool. Inputs are resolved just before
launch; a failed upstream (not wrapped in `allow_failure`) makes the run Failed/NotReady without
running it.

To write a runner, subclass `TaskRunner` and implement `_launch` (start the run somewhere and
eventually set `outcome` to its final `State`), `duplicate`, and optionally `__enter__` /
`__exit__` for resources. Remote runners can use `cadenza.task_runners.remote`.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextvars
import threading
from typing import TYPE_CHECKING, Any

from cadenza.futures import CadenzaFuture, CadenzaFutureList

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cadenza.backends.base import Backend
    from cadenza.runs import TaskRun
    from cadenza.states import State
    from cadenza.tasks import Task


class TaskRunner:
    """Runs submitted task runs. Use as a context manager; `duplicate()` gives a fresh copy."""

    #: True for runners whose runs execute in another process: cache hits are then served
    #: here, before launch, since the worker cannot read the record.
    launches_elsewhere = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._all_done = threading.Condition(self._lock)
        self._outstanding = 0
        self._started = False

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
        task: Task,
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: Any = None,
    ) -> CadenzaFuture:
        """Create the task run now; run it once everything it depends on is done."""
        from cadenza.engine.inputs import collect_futures
        from cadenza.engine.task_engine import new_task_run

        run, backend, log_prints = new_task_run(task, (), parameters)
        outcome: cf.Future = cf.Future()
        with self._lock:
            self._outstanding += 1
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
        task: Task,
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
    ) -> CadenzaFutureList:
        """Submit one run per element of the iterable parameters (see `Task.map`)."""
        from cadenza.task_runners.mapping import expand

        return CadenzaFutureList(
            self.submit(task, call, wait_for) for call in expand(task, parameters)
        )

    def wait_all(self) -> None:
        """Block until every run submitted so far is final (also those submitted meanwhile)."""
        with self._all_done:
            while self._outstanding:
                self._all_done.wait()

    def _resolve(self, outcome: cf.Future, state: State) -> None:
        """Set a submitted run's final state (every launch path ends here exactly once)."""
        outcome.set_result(state)
        with self._all_done:
            self._outstanding -= 1
            if not self._outstanding:
                self._all_done.notify_all()

    def _start(
        self,
        task: Task,
        run: TaskRun,
        backend: Backend,
        log_prints: bool,
        parameters: dict[str, Any],
        outcome: cf.Future,
        context: contextvars.Context,
    ) -> None:
        from cadenza.engine.inputs import UpstreamFailure, resolve
        from cadenza.engine.task_engine import not_ready

        try:
            try:
                resolved = resolve(parameters)
            except UpstreamFailure as failure:
                self._resolve(outcome, not_ready(run, backend, failure))
                return
            args, kwargs = task.call_arguments(resolved)
            if run.reuse_ref is not None:
                from cadenza.engine.task_engine import reused

                state = context.run(reused, run, backend)
                if state is not None:
                    self._resolve(outcome, state)
                    return
            if self.launches_elsewhere and task.cache_policy_in_effect is not None:
                from cadenza.engine.caching import try_cached

                hit = try_cached(task, run, backend, args, kwargs)
                if hit is not None:
                    self._resolve(outcome, hit)
                    return
            self._launch(task, run, backend, log_prints, args, kwargs, outcome, context)
        except BaseException as exc:  # never leave a future unresolved
            if not outcome.done():
                self._resolve(outcome, crashed(run, backend, exc))

    def _launch(
        self,
        task: Task,
        run: TaskRun,
        backend: Backend,
        log_prints: bool,
        args: tuple,
        kwargs: dict,
        outcome: cf.Future,
        context: contextvars.Context,
    ) -> None:
        """Run the created task run; when it ends, call ``self._resolve(outcome, final_state)``."""
        raise NotImplementedError


def crashed(run: TaskRun, backend: Backend, exc: BaseException) -> State:
    """Record that the runner could not run `run` (e.g. a worker process died)."""
    from cadenza.engine.lifecycle import run_logger
    from cadenza.states import State, StateDetails, StateType

    if run.state is not None and run.state.is_final():  # the lifecycle recorded how it ended
        return run.state
    message = f"Task run could not be executed: {type(exc).__name__}: {exc}"
    details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
    state = State(StateType.CRASHED, None, message, exc, details)
    backend.propose(run, state)
    run_logger(run).error("%s", message)
    return state


def _when_all_done(futures: list[CadenzaFuture], callback: Any) -> None:
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
