"""Task runs whose work happens outside a Python call of a task: `record_task_run`.

A tool that runs its own units of work — dbt's models and tests, the steps of a build, the
stages of a remote job — can record each unit as a task run of the flow run in progress, with
its own state, start and end times and log lines, exactly where a task's run would appear
(``cadenza runs show``, the dashboard, the API)::

    run = record_task_run("model.shop.orders")        # Pending
    run.start(at=started)                             # Running; `at` defaults to now
    run.logger.info("created view main.orders")       # a log line of this task run
    run.finish(StateType.COMPLETED, at=finished)      # or FAILED, CANCELLED (name="Skipped")

No function is called, so there is no retry, cache, timeout or result: the caller reports what
happened and the record follows its transitions through the same orchestration rules and
backend as any task run. Times may be given (a tool's own timestamps, POSIX seconds); a state
never predates the one before it, so an earlier time is moved up to that state's.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cadenza import states
from cadenza.backends import get_backend
from cadenza.context import _flow_run_ctx, with_context_tags
from cadenza.exceptions import CancelledRun, InvalidTransition
from cadenza.logging.loggers import run_logger
from cadenza.logging.run_lines import task_run_finished
from cadenza.runs import TaskRun
from cadenza.states import State, StateDetails, StateType

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from cadenza.backends.base import Backend
    from cadenza.logging.loggers import RunLoggerAdapter


class ExternalTaskRun:
    """A recorded task run that the caller moves through its states (`record_task_run`)."""

    __slots__ = ("_backend", "_logger", "_run")

    def __init__(self, run: TaskRun, backend: Backend) -> None:
        self._run = run
        self._backend = backend
        self._logger: RunLoggerAdapter | None = None

    @property
    def id(self) -> str:
        """The task run's id."""
        return self._run.id

    @property
    def name(self) -> str:
        """The task run's name."""
        return self._run.name

    @property
    def state(self) -> State[Any] | None:
        """The task run's current state."""
        return self._run.state

    @property
    def logger(self) -> RunLoggerAdapter:
        """The task run's logger: its records are the run's log lines."""
        if self._logger is None:
            self._logger = run_logger(self._run)
        return self._logger

    def start(self, at: float | None = None) -> None:
        """Move the run to Running at `at` (POSIX seconds; now when None): its start time."""
        self._propose(StateType.RUNNING, None, None, None, at)

    def finish(
        self,
        type: StateType | str,
        message: str | None = None,
        *,
        name: str | None = None,
        at: float | None = None,
        error: BaseException | None = None,
    ) -> State[Any]:
        """End the run in a final state of `type` (Completed, Failed, Cancelled, Crashed) at
        `at` (now when None), named `name` (the type's name when None). `error` is what
        ``state.result()`` raises for a state that is not Completed. A run never started ends
        without a start time (a unit the tool skipped). Returns the final state."""
        state_type = StateType(type)
        if state_type not in states.TERMINAL_STATES:
            raise ValueError(f"finish() needs a final state type, not {state_type.value}")
        state = self._propose(state_type, name, message, error, at)
        task_run_finished(self._run, state)
        return state

    def _propose(
        self,
        state_type: StateType,
        name: str | None,
        message: str | None,
        error: BaseException | None,
        at: float | None,
    ) -> State[Any]:
        run = self._run
        current = run.state
        ts = time.time() if at is None else at
        if current is not None and ts < current.ts:
            ts = current.ts
        details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
        if state_type is StateType.RUNNING:
            run.run_count += 1
        if error is None:
            state = State(state_type, name, message, state_details=details, ts=ts)
        else:
            state = State(state_type, name, message, error, details, ts)
        decision = self._backend.propose(run, state)
        if run.state is not state:
            if state_type is StateType.RUNNING:
                run.run_count -= 1  # it did not run
            raise InvalidTransition(
                f"Task run {run.name!r} could not move to {state.name}: {decision.reason}"
            )
        return state

    def __repr__(self) -> str:
        return f"ExternalTaskRun(id={self.id!r}, name={self.name!r}, state={self.state!r})"


def record_task_run(
    name: str,
    *,
    task_name: str | None = None,
    tags: Iterable[str] = (),
    at: float | None = None,
) -> ExternalTaskRun:
    """Record a Pending task run named `name` in the flow run in progress (or, outside any flow
    run, on its own, as a task called outside a flow is), for work done outside Python: the
    returned `ExternalTaskRun` is moved through its states by the caller (see the module).

    `task_name` groups the runs as a task's name does (default: `name`); `tags` are added to
    the tags of the enclosing ``with tags(...)`` blocks; `at` is when it became Pending (now).
    """
    flow_ctx = _flow_run_ctx.get()
    if flow_ctx is not None:
        if flow_ctx.abandoned:
            raise CancelledRun(
                f"Flow run {flow_ctx.flow_run.name!r} {flow_ctx.abandoned}; "
                f"not recording task run {name!r}"
            )
        backend = flow_ctx.backend
        flow_run_id: str | None = flow_ctx.flow_run.id
    else:
        backend = get_backend()
        flow_run_id = None
    task = task_name or name
    run = TaskRun(task, f"external:{task}", name, flow_run_id, with_context_tags(tuple(tags)))
    if at is not None and at < run.created:
        run.created = at  # created no later than it was Pending
    backend.create_task_run(run)
    details = StateDetails(flow_run_id=flow_run_id, task_run_id=run.id)
    pending = State(StateType.PENDING, state_details=details, ts=at)
    backend.propose(run, pending)
    return ExternalTaskRun(run, backend)


__all__ = ["ExternalTaskRun", "record_task_run"]
