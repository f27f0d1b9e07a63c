"""A task run's own transaction (Prefect 3: every task run is governed by one).

Opened only when something needs it — a transaction around the call, ``on_commit`` /
``on_rollback`` hooks, or a cache policy configured with ``key_storage``, ``isolation_level`` or
``lock_manager`` — so a plain task call creates no transaction object. The transaction is keyed
by the run's cache key: a committed record under that key is a cache hit; a completed run stages
its result and hooks, written and called when the transaction commits (at once at the top, with
the outermost transaction inside one); a failed run rolls it back, and so the transaction
around it.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from cadenza.logging.loggers import run_logger
from cadenza.states import State, StateDetails, StateType
from cadenza.transactions.base import Transaction, TransactionState, get_transaction
from cadenza.transactions.records import StagedResult, record_store

if TYPE_CHECKING:
    from cadenza.runs import TaskRun
    from cadenza.tasks import Task


def needs_transaction(task: Task[Any, Any]) -> bool:
    if get_transaction() is not None or task.on_commit_hooks or task.on_rollback_hooks:
        return True
    policy = task.cache_policy_in_effect
    return policy is not None and (
        policy.key_storage is not None
        or policy.isolation_level is not None
        or policy.lock_manager is not None
    )


class TaskTransaction(Transaction):
    """The transaction of one task run (`run_id`), opened before its lifecycle starts; the key
    and the store are set when the cache key is known (`begin_for`)."""

    run_id: str = ""


def own_transaction(run: TaskRun) -> TaskTransaction | None:
    txn = get_transaction()
    if isinstance(txn, TaskTransaction) and txn.run_id == run.id:
        return txn
    return None


def in_transaction(
    task: Task[Any, Any], run: TaskRun, lifecycle: Generator[Any, Any, State]
) -> Generator[Any, Any, State]:
    """Drive `lifecycle` with the run's transaction open (what `get_transaction()` returns in
    the task's body); whatever interrupts it rolls the transaction back."""
    policy = task.cache_policy_in_effect
    txn = TaskTransaction(
        isolation_level=getattr(policy, "isolation_level", None),
        overwrite=bool(task.refresh_cache),
        logger=run_logger(run),
    )
    txn.run_id = run.id
    txn._prepare()
    txn._enter()
    try:
        return (yield from lifecycle)
    except BaseException:
        if txn._token is not None:
            txn.rollback()
            txn.reset()
        raise
    finally:
        if txn._token is not None:  # a cache hit: it began committed; release and leave it
            txn.__exit__(None, None, None)


def cached_in_transaction(
    task: Task[Any, Any], run: TaskRun, txn: TaskTransaction, key: str
) -> State | None:
    """Begin `txn` under `key`: its committed record, if any, is the run's Cached state."""
    policy = task.cache_policy_in_effect
    txn.key = key
    txn.store = record_store(
        getattr(policy, "key_storage", None), getattr(policy, "lock_manager", None)
    )
    txn._begin()
    if not txn.is_committed():
        return None
    record = txn.read()
    try:
        if record is None:
            raise LookupError("the record expired")
        value = record.result
    except Exception as exc:  # a deleted or tampered result is a miss, not a failure
        run_logger(run).warning(
            "Cache entry found but its result could not be loaded (%s: %s); running the task",
            type(exc).__name__,
            exc,
        )
        txn.state = TransactionState.ACTIVE
        return None
    details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id, cache_key=key)
    return State(StateType.COMPLETED, "Cached", None, value, details, None, record.result_ref)


def settle(task: Task[Any, Any], run: TaskRun, state: State) -> None:
    """The run ended in `state`: stage and commit its transaction (or hand it to the one around
    it), or roll it back when the run failed."""
    txn = own_transaction(run)
    if txn is None:
        return
    if state.type is not StateType.COMPLETED:
        txn.write_on_commit = False
        txn.rollback()
        txn.reset()
        return
    staged = None
    if txn.key and state.result_ref is not None:
        staged = StagedResult(
            state.raw_data, state.result_ref, task.task_key, run.id, _expiry(task)
        )
    else:
        txn.write_on_commit = False  # nothing persisted: nothing to record
    txn.stage(
        staged,
        on_rollback_hooks=list(task.on_rollback_hooks),
        on_commit_hooks=list(task.on_commit_hooks),
    )
    txn.__exit__(None, None, None)


def _expiry(task: Task[Any, Any]) -> float | None:
    expiration = task.cache_expiration
    if expiration is None:
        return None
    seconds = expiration.total_seconds() if hasattr(expiration, "total_seconds") else expiration
    return time.time() + float(seconds)


__all__ = [
    "cached_in_transaction",
    "in_transaction",
    "needs_transaction",
    "own_transaction",
    "settle",
]
