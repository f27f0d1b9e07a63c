"""Task caching: compute a call's cache key, serve a hit, record a new entry.

A hit needs a cache entry (in the run record, so any process sees it) whose result is still in
result storage and not expired; it is recorded as Pending → Completed named "Cached" and the
task body does not run. Inputs that cannot be hashed mean no caching, with one warning per task.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cadenza.cache_policies import UnhashableInputs
from cadenza.context import FlowRunContext, TaskRunContext
from cadenza.engine.task_transactions import cached_in_transaction, own_transaction
from cadenza.logging.loggers import run_logger
from cadenza.results import load_result
from cadenza.states import State, StateDetails, StateType

if TYPE_CHECKING:
    from cadenza.backends.base import Backend
    from cadenza.runs import TaskRun
    from cadenza.tasks import Task

_warned: set[str] = set()


def cache_key_for(task: Task, run: TaskRun, args: tuple, kwargs: dict) -> str | None:
    """The call's cache key under the task's policy, or None (do not cache this call)."""

    task_ctx = TaskRunContext.get()
    if task_ctx is None or task_ctx.task_run is not run:
        task_ctx = TaskRunContext(task, run)
    flow_ctx = FlowRunContext.get()
    flow_parameters = getattr(flow_ctx.flow_run, "parameters", {}) if flow_ctx else {}
    try:
        inputs = task.bind(args, kwargs)
        return task.cache_policy_in_effect.compute_key(task_ctx, inputs, flow_parameters or {})
    except UnhashableInputs as exc:
        _warn_once(task, run, f"its inputs cannot be hashed ({exc})")
    except Exception as exc:
        _warn_once(task, run, f"computing the cache key raised {type(exc).__name__}: {exc}")
    return None


def cache_hit(task: Task, run: TaskRun, backend: Backend, key: str) -> State | None:
    """The Cached state for `key`: through the run's own transaction when it has one (its
    record store, its lock), else from the run record. None on a miss or ``refresh_cache``."""
    txn = own_transaction(run)
    if txn is not None:
        return cached_in_transaction(task, run, txn, key)
    return None if task.refresh_cache else cached_state(task, run, backend, key)


def cached_state(task: Task, run: TaskRun, backend: Backend, key: str) -> State | None:
    """The Cached state for `key` if a valid entry exists; None on a miss."""
    entry = backend.read_cache(key)
    if entry is None:
        return None
    result_ref, expiration = entry
    if expiration is not None and expiration <= time.time():
        return None

    try:
        value = load_result(result_ref)
    except Exception as exc:  # a deleted or tampered result is a miss, not a failure
        run_logger(run).warning(
            "Cache entry found but its result could not be loaded (%s: %s); running the task",
            type(exc).__name__,
            exc,
        )
        return None
    details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id, cache_key=key)
    return State(StateType.COMPLETED, "Cached", None, value, details, None, result_ref)


def record_entry(task: Task, run: TaskRun, backend: Backend, key: str, result_ref: str) -> None:
    if own_transaction(run) is not None:
        return  # staged in the run's transaction, written when it commits
    expiration = task.cache_expiration
    if expiration is not None:
        seconds = expiration.total_seconds() if hasattr(expiration, "total_seconds") else expiration
        expiration = time.time() + float(seconds)
    backend.write_cache(key, result_ref, task.task_key, run.id, expiration)


def try_cached(
    task: Task, run: TaskRun, backend: Backend, args: tuple, kwargs: dict
) -> State | None:
    """For runners that launch elsewhere: serve a cache hit here, before launching.

    Records Pending → Cached and returns the state on a hit; returns None (nothing recorded)
    on a miss, so the run launches and its lifecycle proceeds as usual.
    """
    if task.cache_policy_in_effect is None or task.refresh_cache:
        return None
    key = cache_key_for(task, run, args, kwargs)
    if key is None:
        return None
    hit = cached_state(task, run, backend, key)
    if hit is None:
        return None
    backend.propose(run, State(StateType.PENDING))
    backend.propose(run, hit)
    return hit


def _warn_once(task: Task, run: TaskRun, reason: str) -> None:
    if task.task_key in _warned:
        return
    _warned.add(task.task_key)

    run_logger(run).warning("Task %r is not cached: %s", task.name, reason)


__all__ = ["cache_hit", "cache_key_for", "cached_state", "record_entry", "try_cached"]
