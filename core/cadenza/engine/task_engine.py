"""Calling a task: create its task run, drive the lifecycle, return the result or the state."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from cadenza.context import TaskRunContext, _flow_run_ctx, _task_run_ctx
from cadenza.engine.drivers import drive_async, drive_sync
from cadenza.engine.lifecycle import lifecycle
from cadenza.runs import TaskRun

if TYPE_CHECKING:
    from cadenza.states import State
    from cadenza.tasks import Task

_outside_flow_counter = itertools.count()


def run_task(task: Task, args: tuple, kwargs: dict, return_state: bool, wait_for: Any) -> Any:
    """Run `task` now; for an async task, return an awaitable when an event loop is running."""
    if wait_for:
        from cadenza.futures import resolve_wait_for

        resolve_wait_for(wait_for)
    if task.isasync:
        coro = _run_async(task, args, kwargs, return_state)
        if _loop_running():
            return coro
        import asyncio

        return asyncio.run(coro)
    run, backend, log_prints = _new_run(task, args, kwargs)
    token = _task_run_ctx.set(TaskRunContext(task, run, log_prints))
    try:
        state = drive_sync(
            lifecycle(task, run, backend, args, kwargs),
            task.fn,
            args,
            kwargs,
            task.timeout_seconds,
            "Task",
        )
    finally:
        _task_run_ctx.reset(token)
    return state if return_state else state.result()


async def _run_async(task: Task, args: tuple, kwargs: dict, return_state: bool) -> Any:
    run, backend, log_prints = _new_run(task, args, kwargs)
    token = _task_run_ctx.set(TaskRunContext(task, run, log_prints))
    try:
        state: State = await drive_async(
            lifecycle(task, run, backend, args, kwargs),
            task.fn,
            args,
            kwargs,
            task.timeout_seconds,
            "Task",
        )
    finally:
        _task_run_ctx.reset(token)
    return state if return_state else state.result()


def _new_run(task: Task, args: tuple, kwargs: dict) -> tuple[TaskRun, Any, bool]:
    flow_ctx = _flow_run_ctx.get()
    if flow_ctx is not None:
        if flow_ctx.abandoned:
            from cadenza.exceptions import CancelledRun

            raise CancelledRun(
                f"Flow run {flow_ctx.flow_run.name!r} {flow_ctx.abandoned}; "
                f"not starting task {task.name!r}"
            )
        backend = flow_ctx.backend
        flow_run_id = flow_ctx.flow_run.id
        index = next(flow_ctx.task_counter)
        log_prints = flow_ctx.log_prints if task.log_prints is None else task.log_prints
    else:
        from cadenza.backends import get_backend

        backend = get_backend()
        flow_run_id = None
        index = next(_outside_flow_counter)
        log_prints = bool(task.log_prints)
    if log_prints:
        from cadenza.logging.capture import install_print_capture

        install_print_capture()
    run = TaskRun(
        task.name,
        task.task_key,
        task.run_name(args, kwargs, index),
        flow_run_id,
        task.tags,
        task.retries,
    )
    backend.create_task_run(run)
    return run, backend, log_prints


def _loop_running() -> bool:
    import sys

    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
