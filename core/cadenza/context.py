"""Run context: which flow run and task run the current code belongs to.

Held in context variables, so threads started with a copied context and asyncio tasks see the
run that started them. `FlowRunContext.get()` / `TaskRunContext.get()` return ``None`` outside
a run, as in Prefect.
"""

from __future__ import annotations

import contextvars
import itertools
import sys
import threading

from cadenza.exceptions import MissingContextError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from cadenza.backends.base import Backend
    from cadenza.flows import Flow
    from cadenza.logging.loggers import RunLoggerAdapter
    from cadenza.runs import FlowRun, TaskRun
    from cadenza.task_runners.base import TaskRunner
    from cadenza.tasks import Task

_flow_run_ctx: contextvars.ContextVar[FlowRunContext | None] = contextvars.ContextVar(
    "cadenza_flow_run", default=None
)
_runner_lock = threading.Lock()
_task_run_ctx: contextvars.ContextVar[TaskRunContext | None] = contextvars.ContextVar(
    "cadenza_task_run", default=None
)


class FlowRunContext:
    """The flow run in progress: its flow, run record, backend and settings for its tasks."""

    __slots__ = (
        "_logger",
        "_runner",
        "abandoned",
        "backend",
        "flow",
        "flow_run",
        "kept",
        "log_prints",
        "pauses",
        "resume",
        "task_counter",
        "task_runner",
    )

    def __init__(
        self,
        flow: Flow[..., Any],
        flow_run: FlowRun,
        backend: Backend,
        log_prints: bool = False,
        task_runner: TaskRunner | None = None,
    ) -> None:
        self.flow = flow
        self.flow_run = flow_run
        self.backend = backend
        self.log_prints = log_prints
        self.task_runner = task_runner
        self.task_counter = itertools.count()
        # Set when the flow run ended (timed out) while its body may still run in a thread.
        self.abandoned: str | None = None
        self.resume: Any = None  # a ResumePlan when this run resumes an earlier one
        self.kept: Any = None  # a ResultKeeper: completed results saved if the run fails
        self.pauses = 0  # pause_flow_run / suspend_flow_run calls so far: their default keys
        self._logger: RunLoggerAdapter | None = None  # see cadenza.logging.loggers.for_context
        self._runner: TaskRunner | None = None

    @staticmethod
    def get() -> FlowRunContext | None:
        return _flow_run_ctx.get()

    def started_task_runner(self, default: Callable[[], TaskRunner]) -> TaskRunner:
        """This flow run's own task runner, started on first use: a duplicate of the flow's, or
        of ``default()`` when the flow names none."""
        if self._runner is None:
            with _runner_lock:
                if self._runner is None:
                    template = self.task_runner if self.task_runner is not None else default()
                    self._runner = template.duplicate().__enter__()
        return self._runner

    def wait_for_task_runs(self) -> None:
        """Block until every task run submitted in this flow run is final. Interrupted while
        waiting (Ctrl-C, SIGTERM), stop them instead (`stop_task_runs`) and re-raise."""
        if self._runner is None:
            return
        try:
            self._runner.wait_all()
        except BaseException as exc:
            if not isinstance(exc, Exception):
                self.stop_task_runs(exc)
            raise

    def stop_task_runs(self, reason: BaseException) -> None:
        """This flow run was interrupted by `reason`: task runs not started yet never start,
        running ones are interrupted where the runner can (`TaskRunner.cancel_all`)."""
        cancel_all = getattr(self._runner, "cancel_all", None)
        if cancel_all is not None:
            cancel_all(reason)

    def close_task_runner(self, wait: bool = True) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            if wait:
                runner.__exit__(None, None, None)
            else:
                shutdown = getattr(runner, "shutdown", None)
                if shutdown is not None:
                    shutdown(wait=False)


class TaskRunContext:
    """The task run in progress."""

    __slots__ = ("_call", "_logger", "log_prints", "task", "task_run")

    def __init__(
        self,
        task: Task[..., Any],
        task_run: TaskRun,
        log_prints: bool = False,
        call: tuple[tuple[Any, ...], dict[str, Any]] | None = None,
    ) -> None:
        self.task = task
        self.task_run = task_run
        self.log_prints = log_prints
        self._call = call  # the (args, kwargs) the task's function is called with
        self._logger: RunLoggerAdapter | None = None

    def parameters(self) -> dict[str, Any]:
        """The task's parameters by name, defaults included (`cadenza.runtime.task_run`)."""
        if self._call is None:
            return {}
        # lazily: only `task_run.parameters` needs the signature
        import inspect

        args, kwargs = self._call
        try:
            bound = inspect.signature(self.task.fn).bind(*args, **kwargs)
        except (TypeError, ValueError):
            return dict(kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    @staticmethod
    def get() -> TaskRunContext | None:
        return _task_run_ctx.get()


_tags_ctx: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "cadenza_tags", default=()
)


class tags:  # Prefect's public name, used as ``with tags("a", "b"):``
    """Add tags to every flow run and task run created inside the ``with`` block."""

    __slots__ = ("_names", "_token")

    def __init__(self, *names: str) -> None:
        self._names = tuple(str(n) for n in names)
        self._token: contextvars.Token[tuple[str, ...]] | None = None

    def __enter__(self) -> set[str]:
        current = _tags_ctx.get()
        merged = current + tuple(n for n in self._names if n not in current)
        self._token = _tags_ctx.set(merged)
        return set(merged)

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _tags_ctx.reset(self._token)
            self._token = None


def with_context_tags(own: tuple[str, ...]) -> tuple[str, ...]:
    """A run's tags: its own, then those of enclosing ``with tags(...)`` blocks."""
    extra = _tags_ctx.get()
    if not extra:
        return own
    return own + tuple(t for t in extra if t not in own)


sync_callback: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "cadenza_sync_callback", default=False
)
"""True while the engine calls a sync callback of the user's (`retry_condition_fn`), which
cannot await: `in_async_context` then says False, even inside an async task."""


def in_async_context() -> bool:
    """Whether the caller is async code, as Prefect's dual functions decide: inside a task or
    flow run, whether that task (else flow) is async; outside any run, whether an event loop
    is running in this thread. False inside a sync callback (`sync_callback`)."""
    if sync_callback.get():
        return False
    task_ctx = _task_run_ctx.get()
    if task_ctx is not None:
        return bool(task_ctx.task.isasync)
    flow_ctx = _flow_run_ctx.get()
    if flow_ctx is not None:
        return bool(flow_ctx.flow.isasync)
    return event_loop_running()


def event_loop_running() -> bool:
    """Whether an asyncio event loop runs in this thread."""
    asyncio = sys.modules.get("asyncio")  # never imported here: without it, no loop runs
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def get_run_context() -> FlowRunContext | TaskRunContext:
    """The innermost run context; raises `MissingContextError` outside any run."""
    ctx = _task_run_ctx.get() or _flow_run_ctx.get()
    if ctx is None:
        raise MissingContextError("There is no active flow or task run context.")
    return ctx


__all__ = [
    "FlowRunContext",
    "TaskRunContext",
    "event_loop_running",
    "get_run_context",
    "in_async_context",
    "sync_callback",
    "tags",
]
