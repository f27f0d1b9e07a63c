"""Every cadenza hook: what a plugin may implement, when it is called, and with what.

A plugin is a module (named by an entry point in the ``cadenza`` group) whose functions are
decorated with ``@cadenza.hookimpl`` and named after a hook below. Hooks are always called with
keyword arguments, and an implementation may accept fewer arguments than the spec lists (pluggy's
"opt-in arguments"), so a spec can gain arguments without breaking existing plugins.

Contribution hooks take no arguments and return a list; the results of every plugin are
collected — no first-result-wins — once, when the plugin manager loads (the first time the core
needs a registry, never at ``import cadenza``). Two plugins contributing the same name for one
kind of thing is a `cadenza.plugins.errors.PluginConflictError` naming both.

Observer hooks return nothing (a returned value is ignored) and are called synchronously in the
thread that caused the event, so they must be quick; an observer that raises is logged on the
``cadenza.plugins`` logger and the run carries on. They fire only in a process whose plugin
manager has been loaded.

`run_trace_context` is asked, first answer wins, for the trace context of a run whose work
continues in another process; it is how a tracing plugin keeps one trace across processes.

Implementations that name no hook here (a typo such as ``register_stroage_backends``) make
their plugin fail to load, with the hook's name in the load report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from cadenza.plugins.markers import hookspec

if TYPE_CHECKING:
    from collections.abc import Callable

    from cadenza.blocks.core import Block
    from cadenza.runs import FlowRun, TaskRun
    from cadenza.states import State
    from cadenza.storage import StorageBackend
    from cadenza.task_runners import TaskRunner
    from cadenza.tasks import Task
    from cadenza.workers.base import BaseWorker


class Serializer(Protocol):
    """What a result serializer offers (see `cadenza.serializers`)."""

    def dumps(self, obj: Any) -> bytes:
        """``obj`` as bytes."""
        ...

    def loads(self, data: bytes) -> Any:
        """The object `dumps` made ``data`` from."""
        ...


# -------------------------------------------------------------------------------------------------
# Contributions: called once per plugin when the plugin manager loads; results collected.
# -------------------------------------------------------------------------------------------------


@hookspec
def register_block_types() -> list[type[Block]]:
    """Block classes (subclasses of `cadenza.blocks.core.Block`) this plugin provides.

    Each is registered under its ``_block_type_slug`` class attribute if it has one, else its
    class name in lower-kebab case (``S3Bucket`` → ``s3-bucket``); that slug is how a saved
    block names its type, so ``Block.load(name)`` and ``cadenza block create TYPE`` find it.
    Import the classes inside the function so the plugin module stays light.

    Returns:
        The block classes, each a `Block` subclass (not `Block` itself). Anything else fails
        the plugin, with the offending item in the load report.
    """


@hookspec
def register_storage_backends() -> list[type[StorageBackend]]:
    """Result storage classes (implementing `cadenza.storage.StorageBackend`) of this plugin.

    Each is registered under its ``slug`` class attribute, else its ``type`` class attribute
    (the convention of `cadenza.filesystems.LocalFileSystem`), else its class name in
    lower-kebab case. The slug must be the ``"type"`` its instances' ``to_ref()`` returns: a
    persisted result's reference names it, and `cadenza.storage.from_description` rebuilds the
    backend from the class registered for it, in any process.

    Returns:
        The storage classes; each has ``read_path``, ``write_path``, ``exists`` and ``delete``,
        and a slug of lower-case letters, digits, ``-`` or ``_``.
    """


@hookspec
def register_task_runners() -> list[type[TaskRunner]]:
    """Task runner classes (subclasses of `cadenza.task_runners.TaskRunner`) of this plugin.

    Each is registered under its ``slug`` class attribute, else its class name in lower-kebab
    case (``DaskTaskRunner`` → ``dask-task-runner``). How to write one:
    docs/howto/write-a-task-runner.md.

    Returns:
        The task runner classes, each a `TaskRunner` subclass.
    """


@hookspec
def register_tasks() -> list[Task[..., Any]]:
    """Prebuilt tasks (``@task`` objects) this plugin provides, registered by ``task.name``.

    They stay ordinary tasks, importable from the plugin's package; registering them makes them
    discoverable (``cadenza tasks ls`` lists name, plugin, import path and description).

    Returns:
        The `Task` objects (what ``@task`` returns), each under a name unique among the
        installed plugins.
    """


@hookspec
def register_serializers() -> list[tuple[str, Callable[[], Serializer]]]:
    """Result serializers this plugin provides, by name.

    The name (case-insensitive) is what ``result_serializer=name`` accepts and what a persisted
    result records, so results written with it can be read in another process.

    Returns:
        ``(name, factory)`` pairs: ``factory()`` returns a `Serializer` (``dumps`` and
        ``loads``).
    """


@hookspec
def register_worker_types() -> list[type[BaseWorker]]:
    """Worker classes (subclasses of `cadenza.workers.base.BaseWorker`) this plugin provides.

    Each is registered under its ``type`` class attribute (``"process"`` for the built-in
    `cadenza.workers.process.ProcessWorker`): a work pool of that type is served by
    ``cadenza worker start --pool NAME``, and `cadenza.workers.get_worker_class` finds it.
    Import the classes inside the function so the plugin module stays light.

    Returns:
        The worker classes, each a `BaseWorker` subclass with a ``type`` of lower-case letters,
        digits, ``-`` or ``_``.
    """


# -------------------------------------------------------------------------------------------------
# Observers: called with keyword arguments as runs progress; return values are ignored.
# -------------------------------------------------------------------------------------------------


@hookspec
def on_flow_run_state(
    flow_run: FlowRun, old_state: State[Any] | None, new_state: State[Any]
) -> None:
    """A flow run's state changed: called after the orchestrator accepted the transition.

    Rejected proposals, and transitions replayed with an already applied transition id, are not
    reported.

    Args:
        flow_run: The in-memory `cadenza.runs.FlowRun`, already carrying ``new_state``.
        old_state: The state it left; None for its first state.
        new_state: The state it entered.

    Returns:
        Nothing; a returned value is ignored.
    """


@hookspec
def on_task_run_state(
    task_run: TaskRun, old_state: State[Any] | None, new_state: State[Any]
) -> None:
    """A task run's state changed; as `on_flow_run_state`, for task runs.

    Fires in the process that proposes the transition: for task runs executed by a remote task
    runner (processes, a cluster) that is the worker, which loads the plugins that observe runs
    before its first task run (as a flow's process does before its first flow run).

    Args:
        task_run: The in-memory `cadenza.runs.TaskRun`, already carrying ``new_state``.
        old_state: The state it left; None for its first state.
        new_state: The state it entered.

    Returns:
        Nothing; a returned value is ignored.
    """


@hookspec
def on_log(
    flow_run_id: str | None,
    task_run_id: str | None,
    level: int,
    logger: str,
    message: str,
    timestamp: float,
) -> None:
    """A run log line was recorded. Log lines emitted by observers themselves are not reported
    again.

    Args:
        flow_run_id: The id of the flow run that logged it, or None (a task run outside a flow).
        task_run_id: The id of the task run that logged it, or None (the flow run itself).
        level: The `logging` level number (``logging.WARNING`` is 30).
        logger: The logger's name, e.g. ``"cadenza.task_runs"``.
        message: The formatted message, secrets masked (`cadenza.masking`).
        timestamp: When it was logged, in seconds since the epoch.

    Returns:
        Nothing; a returned value is ignored.
    """


# -------------------------------------------------------------------------------------------------
# Trace context: asked when work leaves this process; the first non-None answer wins.
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def run_trace_context(run_id: str) -> dict[str, str] | None:
    """The W3C trace context of run `run_id`'s span in this process, to send along with work
    that continues the run elsewhere.

    Asked (in the thread that sends the work, so it must be quick) when a task run is packed for
    another process or machine (`cadenza.task_runners.ProcessPoolTaskRunner`, a cluster), with
    the id of the run that submits it (its flow run, or the task run it is submitted from);
    the answer travels as the task run's ``trace_context``, so an observer in the worker can
    continue the trace. Also asked by `cadenza.deployments.run_deployment`, with the id of the
    calling task run or flow run: the answer's ``traceparent`` and ``tracestate`` become the
    ``TRACEPARENT`` and ``TRACESTATE`` variables of the new run's ``env`` job variable, the
    environment carrier of OpenTelemetry's context propagation, so the process that executes
    the run sees them. Like observers, it is asked only in a process whose plugin manager is
    loaded; an implementation that raises is logged and counts as no answer.

    Args:
        run_id: The id of a flow run or task run of this process.

    Returns:
        The carrier: ``{"traceparent": "00-<trace id>-<span id>-<flags>"}``, with
        ``"tracestate"`` when there is one (https://www.w3.org/TR/trace-context/); None when
        the run is not traced here.
    """


OBSERVER_HOOKS = ("on_flow_run_state", "on_task_run_state", "on_log")
"""The names of the observer hooks, in the order above."""

CONTEXT_HOOKS = ("run_trace_context",)
"""The names of the hooks asked for a run's trace context; every hook in neither tuple is a
contribution."""

__all__ = [
    "CONTEXT_HOOKS",
    "OBSERVER_HOOKS",
    "Serializer",
    "on_flow_run_state",
    "on_log",
    "on_task_run_state",
    "register_block_types",
    "register_serializers",
    "register_storage_backends",
    "register_task_runners",
    "register_tasks",
    "register_worker_types",
    "run_trace_context",
]
