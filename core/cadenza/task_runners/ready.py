"""`ReadyTaskRun`: a task run handed to a runner's `launch`, and how the runner settles it.

A runner decides only where a ready run executes; recording how it ended is the same for every
runner, and lives here: run it in this process (`ReadyTaskRun.execute`), or pack it for another
one (`ReadyTaskRun.payload`) and record what comes back (`ReadyTaskRun.collect`); record it
Crashed when it could not run (`crashed`), or Cancelled/Crashed when an interruption stopped it
(`stopped`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cadenza.engine.lifecycle import record_interruption
from cadenza.engine.signals import cause
from cadenza.engine.task_engine import execute
from cadenza.logging.loggers import run_logger
from cadenza.states import State, StateDetails, StateType
from cadenza.task_runners.remote import pack, spooled_lines, unpack_into

if TYPE_CHECKING:
    import concurrent.futures as cf
    import contextvars

    from cadenza.backends.base import Backend
    from cadenza.runs import TaskRun
    from cadenza.task_runners.base import TaskRunner
    from cadenza.tasks import Task


class ReadyTaskRun:
    """A submitted task run whose dependencies are done and whose arguments are resolved: what
    `TaskRunner.launch` receives, and how the runner settles the run.

    Exactly one of the settling methods ends each run: `execute` (run it here), `collect` or
    `collect_future` (it ran elsewhere), `crash` (it could not run), or `stop` (dropped while
    `TaskRunner.cancel_all` is under way). Each records the final state and resolves the run's
    future; only the first settlement counts, so a run that `cancel_all` already settled keeps
    its state when a late worker reports (`crash` and `stop` then record nothing and return that
    state; a late `collect` still records the worker's log lines). None of them raises for the
    run's own failure: a task that raises ends Failed, and that is the state returned.
    """

    __slots__ = (
        "_backend",
        "_context",
        "_outcome",
        "_runner",
        "args",
        "kwargs",
        "log_prints",
        "task",
        "task_run",
    )

    def __init__(
        self,
        runner: TaskRunner,
        task: Task[..., Any],
        task_run: TaskRun,
        backend: Backend,
        log_prints: bool,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        outcome: cf.Future[State[Any]],
        context: contextvars.Context,
    ) -> None:
        self.task = task
        """The `Task` to run."""
        self.task_run = task_run
        """The created `TaskRun` (its ``id`` and ``name`` make good keys for a cluster)."""
        self.args = args
        """Positional arguments of the call, every future replaced by its result."""
        self.kwargs = kwargs
        """Keyword arguments of the call, every future replaced by its result."""
        self.log_prints = log_prints
        """Whether ``print`` in the task is captured as run log lines."""
        self._runner = runner
        self._backend = backend
        self._outcome = outcome
        self._context = context

    @property
    def context(self) -> contextvars.Context:
        """The context variables as they were when the run was submitted (a copy taken by
        `TaskRunner.submit`): where a runner reads options set around ``.submit()`` or ``.map()``
        — a ``with`` block of its own, such as cadenza-ray's ``remote_options`` — since `launch`
        may be called later, in another thread. Read it (``ready.context.get(var)``); the run
        executes in it."""
        return self._context

    @property
    def done(self) -> bool:
        """Whether the run has been settled (by this runner, or by `cancel_all`)."""
        return self._outcome.done()

    def execute(self) -> State[Any]:
        """Run it in the calling thread, in the context it was submitted from, and settle it.

        Returns the final state. Never raises: an exception that escapes the engine — an
        interruption that `stop_running` raised in this thread, say — is recorded as how the run
        ended (Cancelled or Crashed).
        """
        run, backend = self.task_run, self._backend
        try:
            state = self._context.run(
                execute, self.task, run, backend, self.log_prints, self.args, self.kwargs
            )
        except BaseException as exc:
            state = crashed(run, backend, exc)
        self._runner._resolve(self._outcome, state)
        return state

    def payload(self) -> bytes:
        """The run packed with cloudpickle, to execute in another process or on another machine
        with `cadenza.task_runners.remote.run_packed`; hand what that returns to `collect`.

        Call it from `launch`: it reads the submitting flow run's context (its id, and the
        result options the task inherits).
        """
        packed: bytes = self._context.run(
            pack, self.task, self.task_run, self.log_prints, self.args, self.kwargs
        )
        return packed

    def collect(self, result: bytes) -> State[Any]:
        """Record what `run_packed` returned — the final state, every state transition, log line,
        cache entry and artifact of the run — in the flow's own record, and settle the run.

        Returns the final state. A result that cannot be read makes the run Crashed.
        """
        try:
            state = unpack_into(result, self.task_run, self._backend)
        except BaseException as exc:
            state = crashed(self.task_run, self._backend, exc)
        self._runner._resolve(self._outcome, state)
        return state

    def collect_future(self, future: Any) -> State[Any]:
        """`collect` the result of a done future of `run_packed` — a `concurrent.futures.Future`
        or anything with its ``exception()`` and ``result()`` — so it can be a done callback.

        A future that failed (the worker died, the task was cancelled on the cluster) makes the
        run Crashed with that error.
        """
        try:
            error = future.exception()
            if error is None:
                result = future.result()
        except BaseException as exc:
            error = exc
        if error is not None:
            return self.crash(error)
        return self.collect(result)

    def crash(self, error: BaseException) -> State[Any]:
        """The runner could not run it (a worker died, the pool was shut down): record it
        Crashed with ``error`` — or, for an interruption (``error`` not an `Exception`), how the
        interruption ended it — and settle it. Returns the final state.

        Log lines that a worker on this machine spooled before it died are recorded first."""
        spooled_lines(self.task_run, self._backend)
        state = crashed(self.task_run, self._backend, error)
        self._runner._resolve(self._outcome, state)
        return state

    def stop(self) -> State[Any]:
        """Settle a run that the runner drops while `cancel_all` is under way (its queue, when
        `stop_running` empties it): Cancelled if it never started, Crashed if it may have.

        `RuntimeError` when the runner is not being cancelled: use `crash` then.
        """
        if self._runner.cancelled_by is None:
            raise RuntimeError(
                "ReadyTaskRun.stop() settles runs dropped while cancel_all() is under way; "
                "use crash(error) for a run the runner could not run"
            )
        self._runner._stop(self._outcome, self.task_run, self._backend)
        return self._outcome.result()

    def __repr__(self) -> str:
        return f"ReadyTaskRun({self.task_run.name!r}, id={self.task_run.id!r})"


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


__all__ = ["ReadyTaskRun"]
