"""Running task calls: create the task run, resolve its inputs, drive the lifecycle.

`run_task` is a direct call (``my_task(x)``). Task runners use the pieces: `new_task_run` in the
submitting thread (so the run exists, and is numbered in call order, at submission), then
`execute` wherever the body runs, or `not_ready` when an upstream run failed.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from cadenza.backends import get_backend
from cadenza.concurrency.tag_limits import atag_slots, tag_slots
from cadenza.context import (
    TaskRunContext,
    _flow_run_ctx,
    _task_run_ctx,
    event_loop_running,
    with_context_tags,
)
from cadenza.engine.drivers import drive_async, drive_sync, run_coroutine_sync
from cadenza.engine.inputs import UpstreamFailure, call_inputs, needs_resolution, resolve_call
from cadenza.engine.lifecycle import lifecycle, record_interruption
from cadenza.engine.resume import reuse
from cadenza.engine.resume_store import each_task_runs
from cadenza.engine.task_transactions import in_transaction, needs_transaction
from cadenza.exceptions import CancelledRun, UpstreamTaskError
from cadenza.futures import resolve_wait_for
from cadenza.logging.capture import install_print_capture
from cadenza.logging.loggers import for_context, run_logger
from cadenza.logging.run_lines import task_run_finished
from cadenza.runs import TaskRun
from cadenza.states import State, StateDetails, StateType, sync_result
from cadenza.transactions.base import current_transaction

if TYPE_CHECKING:
    from collections.abc import Generator

    from cadenza.backends.base import Backend
    from cadenza.tasks import Task

_outside_flow_counter = itertools.count()
_in_transaction = current_transaction.get


def run_task(task: Task, args: tuple, kwargs: dict, return_state: bool, wait_for: Any) -> Any:
    """Run `task` now; for an async task, return an awaitable when an event loop is running."""
    inputs = None
    if wait_for:
        inputs = call_inputs(task, args, kwargs, wait_for)
        resolve_wait_for(wait_for)
    failed_upstream = None
    if (args or kwargs) and needs_resolution(args, kwargs):
        if inputs is None:  # only a call with a future, state or container gets here
            inputs = call_inputs(task, args, kwargs, None)
        try:
            args, kwargs = resolve_call(args, kwargs)
        except UpstreamFailure as exc:
            failed_upstream = exc
    if task.isasync and failed_upstream is None:
        coro = _run_async(task, args, kwargs, return_state, inputs)
        if event_loop_running():
            return coro
        import asyncio

        return asyncio.run(coro)
    run, backend, log_prints = new_task_run(task, args, kwargs, inputs)
    try:
        if failed_upstream is not None:
            state = not_ready(run, backend, failed_upstream)
        elif run.reuse_ref is not None and (state := reused(run, backend)) is not None:
            pass
        else:
            state = execute(task, run, backend, log_prints, args, kwargs)
    except BaseException as exc:  # a signal between transitions must not leave the run Running
        if not isinstance(exc, Exception):
            record_interruption(run, backend, exc, "Task")
        raise
    if return_state:
        return state
    return sync_result(state) if run.returned_state is None else run.returned_state


def execute(
    task: Task, run: TaskRun, backend: Backend, log_prints: bool, args: tuple, kwargs: dict
) -> State:
    """Drive a created task run to its final state in this thread."""
    if task.isasync:
        return run_coroutine_sync(execute_async(task, run, backend, log_prints, args, kwargs))
    token = _task_run_ctx.set(TaskRunContext(task, run, log_prints, (args, kwargs)))
    try:
        with tag_slots(run, backend):  # tag concurrency limits: waits Pending for a slot
            state = drive_sync(
                task_lifecycle(task, run, backend, args, kwargs),
                task.fn,
                args,
                kwargs,
                task.timeout_seconds,
                "Task",
            )
        task_run_finished(run, state)
    finally:
        _task_run_ctx.reset(token)
    if each_task_runs.on:  # CADENZA_RESULTS_PERSIST_FOR_RESUME=each-task
        save_for_resume(run)
    return state


async def execute_async(
    task: Task, run: TaskRun, backend: Backend, log_prints: bool, args: tuple, kwargs: dict
) -> State:
    token = _task_run_ctx.set(TaskRunContext(task, run, log_prints, (args, kwargs)))
    try:
        async with atag_slots(run, backend):  # tag concurrency limits, as in `execute`
            state = await drive_async(
                task_lifecycle(task, run, backend, args, kwargs),
                task.fn,
                args,
                kwargs,
                task.timeout_seconds,
                "Task",
            )
        task_run_finished(run, state)
    finally:
        _task_run_ctx.reset(token)
    if each_task_runs.on:  # CADENZA_RESULTS_PERSIST_FOR_RESUME=each-task
        save_for_resume(run)
    return state


def save_for_resume(run: TaskRun) -> None:
    """Save a completed, unpersisted result now, if its flow run keeps results each task."""
    flow_ctx = _flow_run_ctx.get()
    if flow_ctx is not None and flow_ctx.kept is not None:
        flow_ctx.kept.completed(run, flow_ctx.backend, for_context(flow_ctx))


def task_lifecycle(
    task: Task, run: TaskRun, backend: Backend, args: tuple, kwargs: dict
) -> Generator[Any, Any, State]:
    """The run's lifecycle, inside its own transaction when one is needed (not for a plain
    call: see `cadenza.engine.task_transactions`)."""
    gen = lifecycle(task, run, backend, args, kwargs)
    if (
        _in_transaction() is None
        and not task.on_commit_hooks
        and not task.on_rollback_hooks
        and task.cache_policy_in_effect is None
    ):
        return gen  # a plain call: no transaction object
    return in_transaction(task, run, gen) if needs_transaction(task) else gen


async def _run_async(
    task: Task, args: tuple, kwargs: dict, return_state: bool, inputs: dict | None
) -> Any:
    run, backend, log_prints = new_task_run(task, args, kwargs, inputs)
    try:
        state = reused(run, backend) if run.reuse_ref is not None else None
        if state is None:
            state = await execute_async(task, run, backend, log_prints, args, kwargs)
    except BaseException as exc:
        if not isinstance(exc, Exception):
            record_interruption(run, backend, exc, "Task")
        raise
    if return_state:
        return state
    return sync_result(state) if run.returned_state is None else run.returned_state


def reused(run: TaskRun, backend: Backend) -> State | None:
    """When resuming: record `run` as reusing its earlier result (None: run it after all)."""

    flow_ctx = _flow_run_ctx.get()
    return reuse(run, backend, flow_ctx.resume if flow_ctx is not None else None)


def not_ready(run: TaskRun, backend: Backend, failure: Exception) -> State:
    """Record that `run` will not run because an upstream run failed."""

    backend.propose(run, State(StateType.PENDING))
    error = UpstreamTaskError(str(failure))
    details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
    state = State(StateType.FAILED, "NotReady", str(failure), error, details)
    backend.propose(run, state)
    run_logger(run).error("%s", failure)
    return state


def new_task_run(
    task: Task, args: tuple, kwargs: dict, inputs: dict[str, list[str]] | None = None
) -> tuple[TaskRun, Backend, bool]:
    """Create and record the task run of one call (Pending comes with its lifecycle); `inputs`
    are its upstream task runs by parameter (`cadenza.engine.inputs.task_inputs`)."""
    flow_ctx = _flow_run_ctx.get()
    if flow_ctx is not None:
        if flow_ctx.abandoned:
            raise CancelledRun(
                f"Flow run {flow_ctx.flow_run.name!r} {flow_ctx.abandoned}; "
                f"not starting task {task.name!r}"
            )
        backend = flow_ctx.backend
        flow_run_id = flow_ctx.flow_run.id
        index = next(flow_ctx.task_counter)
        log_prints = flow_ctx.log_prints if task.log_prints is None else task.log_prints
    else:
        backend = get_backend()
        flow_run_id = None
        index = next(_outside_flow_counter)
        log_prints = bool(task.log_prints)
    if log_prints:
        install_print_capture()
    run = TaskRun(
        task.name,
        task.task_key,
        task.run_name(args, kwargs, index),
        flow_run_id,
        with_context_tags(task.tags),
        task.retries,
    )
    run.task_inputs = inputs
    if flow_ctx is not None and (kept := flow_ctx.kept) is not None:  # engine.resume_store
        kept.runs.append(run)
        if len(kept.runs) >= kept.compact_at:
            kept.compact()
    if flow_ctx is not None and flow_ctx.resume is not None:
        run.reuse_ref, why = flow_ctx.resume.take(task.task_key)
        backend.create_task_run(run)
        if why is not None:  # it completed before, but its result cannot be reused
            run_logger(run).info("Running again: %s", why)
        return run, backend, log_prints
    backend.create_task_run(run)
    return run, backend, log_prints


__all__ = [
    "execute",
    "execute_async",
    "new_task_run",
    "not_ready",
    "reused",
    "run_task",
    "save_for_resume",
]
