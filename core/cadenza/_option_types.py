"""The types of the options ``@task`` and ``@flow`` take, for type checkers only.

Nothing imports this module at run time (only under ``TYPE_CHECKING``), so ``import cadenza``
neither compiles nor runs it; its body is guarded too, in case something does.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable
    from datetime import timedelta
    from typing import Any, TypeAlias, TypedDict

    from cadenza.cache_policies import CachePolicy
    from cadenza.context import TaskRunContext
    from cadenza.flows import Flow
    from cadenza.plugins.hookspecs import Serializer as Serializer
    from cadenza.runs import FlowRun, TaskRun
    from cadenza.states import State
    from cadenza.storage import StorageBackend
    from cadenza.task_runners.base import TaskRunner
    from cadenza.tasks import Task

    #: ``hook(task, task_run, state)``: state hooks and ``retry_condition_fn`` of a task; an
    #: ``async def`` hook is awaited.
    TaskStateHook: TypeAlias = Callable[[Task[..., Any], TaskRun, State[Any]], object]
    FlowStateHook: TypeAlias = Callable[[Flow[..., Any], FlowRun, State[Any]], object]
    #: ``hook(transaction)``: a task's ``on_commit`` / ``on_rollback`` hook, called with the
    #: task's `cadenza.transactions.Transaction`.
    TransactionHook: TypeAlias = Callable[[Any], object]
    #: A run name: a template formatted with the call's parameters, or a function of them (a
    #: dict of parameters) or of nothing.
    RunName: TypeAlias = str | Callable[..., str]
    ResultStorage: TypeAlias = StorageBackend | str | os.PathLike[str]
    RetryDelay: TypeAlias = float | list[float] | Callable[[int], list[float]]

    class TaskOptions(TypedDict, total=False):
        """The options of ``@task(...)`` and ``Task.with_options(...)`` (`Task` documents them)."""

        name: str | None
        description: str | None
        tags: Iterable[str] | None
        version: str | None
        cache_policy: CachePolicy | None
        cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None] | None
        cache_expiration: timedelta | float | None
        task_run_name: RunName | None
        retries: int | None
        retry_delay_seconds: RetryDelay | None
        retry_jitter_factor: float | None
        persist_result: bool | None
        result_storage: ResultStorage | None
        result_serializer: Serializer | str | None
        result_storage_key: str | None
        cache_result_in_memory: bool
        timeout_seconds: float | None
        log_prints: bool | None
        refresh_cache: bool | None
        on_completion: Iterable[TaskStateHook] | TaskStateHook | None
        on_failure: Iterable[TaskStateHook] | TaskStateHook | None
        on_running: Iterable[TaskStateHook] | TaskStateHook | None
        retry_condition_fn: TaskStateHook | None
        viz_return_value: Any
        on_commit: Iterable[TransactionHook] | TransactionHook | None
        on_rollback: Iterable[TransactionHook] | TransactionHook | None

    class FlowOptions(TypedDict, total=False):
        """The options of ``@flow(...)`` and ``Flow.with_options(...)`` (`Flow` documents them)."""

        name: str | None
        version: str | None
        flow_run_name: RunName | None
        retries: int | None
        retry_delay_seconds: RetryDelay | None
        retry_jitter_factor: float | None
        retry_condition_fn: FlowStateHook | None
        task_runner: TaskRunner | type[TaskRunner] | None
        description: str | None
        timeout_seconds: float | None
        validate_parameters: bool
        persist_result: bool | None
        result_storage: ResultStorage | None
        result_serializer: Serializer | str | None
        cache_result_in_memory: bool
        log_prints: bool | None
        on_completion: Iterable[FlowStateHook] | FlowStateHook | None
        on_failure: Iterable[FlowStateHook] | FlowStateHook | None
        on_cancellation: Iterable[FlowStateHook] | FlowStateHook | None
        on_crashed: Iterable[FlowStateHook] | FlowStateHook | None
        on_running: Iterable[FlowStateHook] | FlowStateHook | None
        tags: Iterable[str] | None
