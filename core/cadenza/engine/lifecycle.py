"""The run lifecycle, written once for flow runs and task runs, sync and async.

Pending → Running → call → Completed | Failed (→ AwaitingRetry → Retrying → call ...) → hooks.
The lifecycle is a generator: it yields `CALL` when the user's function must run and receives
``(value, exception)``; it returns the final `State`. Waiting (for a retry's scheduled time) is a
`WAIT` decision from the orchestrator, which the lifecycle turns into a `(SLEEP, seconds)` request.
"""

from __future__ import annotations

import random
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from cadenza._options import inherited_persist
from cadenza.context import sync_callback
from cadenza.engine.caching import cache_hit, cache_key_for, record_entry
from cadenza.engine.signals import by_request, interruption
from cadenza.engine.task_transactions import settle
from cadenza.exceptions import InvalidTransition, Pause, TaskTimeoutError
from cadenza.logging import run_lines
from cadenza.logging.loggers import run_logger
from cadenza.orchestration import Decision, DecisionKind
from cadenza.results import persist_state
from cadenza.states import (
    TERMINAL_STATES,
    AwaitingRetry,
    Cancelled,
    Crashed,
    State,
    StateDetails,
    StateType,
    is_state_iterable,
)
from cadenza.transactions.base import current_transaction

if TYPE_CHECKING:
    from cadenza.backends.base import Backend, Run

CALL = "call"
SLEEP = "sleep"
AWAIT = "await"
_WAIT = DecisionKind.WAIT
_ACCEPT = DecisionKind.ACCEPT
_RUNNING = StateType.RUNNING
_PENDING = StateType.PENDING
_COMPLETED = StateType.COMPLETED
_FAILED = StateType.FAILED
_CANCELLED = StateType.CANCELLED
_CANCELLING = StateType.CANCELLING
_CRASHED = StateType.CRASHED
_in_transaction = current_transaction.get
_ALREADY_PENDING = Decision(DecisionKind.ACCEPT, "the run is Pending already")


def lifecycle(
    owner: Any, run: Run, backend: Backend, args: tuple = (), kwargs: dict | None = None
) -> Generator[Any, Any, State]:
    """Run `owner` (a Task or Flow) as `run` to a final state. See the module docstring.

    `args` / `kwargs` are the call's arguments, used only to name a persisted result.
    """
    kind = "Flow" if run.kind == "flow" else "Task"
    current = run.state
    if current is not None and current.type is _CANCELLING:  # adopted after `runs cancel`
        ended = Cancelled(f"{kind} run was cancelled before it started")
        backend.propose(run, ended)
        return ended
    if current is not None and current.type is _PENDING:  # adopted, claimed by a worker
        decision = _ALREADY_PENDING
    else:
        decision = backend.propose(run, State(_PENDING, "Pending"))
    while decision.kind is _WAIT:  # an adopted flow run Scheduled for later: wait until then
        yield (SLEEP, decision.delay)
        decision = backend.propose(run, State(_PENDING, "Pending"))
    if decision.kind is not _ACCEPT:
        raise InvalidTransition(f"{kind} run {run.name!r} could not start: {decision.reason}")
    cache_key = None
    if owner.cache_policy_in_effect is not None:
        cache_key = cache_key_for(owner, run, args, kwargs or {})
        if cache_key is not None:
            hit = cache_hit(owner, run, backend, cache_key)
            if hit is not None:
                backend.propose(run, hit)
                if owner.on_completion_hooks:
                    yield from run_hooks(owner, run, hit, owner.on_completion_hooks)
                return hit
    first = True
    while True:
        run.run_count += 1
        name = "Running" if run.run_count == 1 else "Retrying"
        decision = backend.propose(run, State(_RUNNING, name))
        while decision.kind is _WAIT:
            yield (SLEEP, decision.delay)
            decision = backend.propose(run, State(_RUNNING, name))
        if decision.kind is not _ACCEPT:
            raise InvalidTransition(f"{kind} run {run.name!r} could not run: {decision.reason}")
        if run.kind == "flow" and first:
            # On record before any user code runs: a process killed from here on leaves a run
            # that is marked Crashed (by the next process, or the server's reaper), never none.
            backend.flush()
        first = False
        if owner.on_running_hooks:
            yield from run_hooks(owner, run, run.state, owner.on_running_hooks)

        value, exc = yield CALL

        if exc is not None and not isinstance(exc, Exception):
            if isinstance(exc, Pause):  # suspended (cadenza.flow_runs): it stays Suspended
                raise exc
            yield from _interrupted(owner, run, backend, exc, kind)
            raise exc
        state = outcome_state(value, exc, kind, run)
        if state.type is _COMPLETED:
            persist = owner.persist_result
            if persist is None:  # a task that chose nothing follows its flow run
                persist = inherited_persist()
            if persist:
                state = _persist(owner, run, state, args, kwargs or {})
        if state.type is _FAILED and _should_retry(owner, run, state):
            backend.propose(run, state)
            delay = retry_delay(owner, run.run_count)
            retry = run.run_count
            message = f"Retry {retry}/{owner.retries} will start {delay:g} second(s) from now"
            backend.propose(run, AwaitingRetry(message, scheduled_time=_now() + delay))
            run_lines.retrying(run, state, exc, retry, owner.retries, delay, message)
            if run.kind == "task":
                run.returned_state = None  # the retry's return value is what counts
            continue
        backend.propose(run, state)
        if cache_key is not None and state.result_ref is not None and state.type is _COMPLETED:
            record_entry(owner, run, backend, cache_key, state.result_ref)
        if _in_transaction() is not None and run.kind == "task":
            settle(owner, run, state)  # its transaction: commit or roll back
        if state.type is _COMPLETED:
            if owner.on_completion_hooks:
                yield from run_hooks(owner, run, state, owner.on_completion_hooks)
        else:
            run_lines.failed(run, state, exc, owner.retries)
            hooks = _final_hooks(owner, state)
            if hooks:
                yield from run_hooks(owner, run, state, hooks)
        return state


def outcome_state(value: Any, exc: BaseException | None, kind: str, run: Run) -> State:
    """The state a call's outcome maps to, as Prefect's: a state the function made itself
    (``return Completed(message=...)``) is the run's, keeping its name, message and data; a
    state of another run, or a list, tuple or set of states, is summed up (`aggregate_state`);
    any other value completes the run."""
    details = (
        StateDetails(flow_run_id=run.id)
        if run.kind == "flow"
        else StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
    )
    if exc is not None:
        if isinstance(exc, TaskTimeoutError):
            return State(_FAILED, "TimedOut", str(exc), exc, details)
        # Prefect's wording, which differs by one colon between flows and tasks.
        colon = ":" if run.kind == "flow" else ""
        message = f"{kind} run encountered an exception{colon} {type(exc).__name__}: {exc}"
        return State(_FAILED, None, message, exc, details)
    if isinstance(value, State):
        own = value.raw_details
        if own is None or (own.flow_run_id is None and own.task_run_id is None):
            if run.kind == "task":  # a direct call returns it as returned (Prefect)
                run.returned_state = value
            if value.has_data():
                return value.copy(state_details=details)
            return value.copy(state_details=details, data=None)
        return aggregate_state((value,), value, details)
    if isinstance(value, (list, tuple, set)) and value and all(isinstance(v, State) for v in value):
        return aggregate_state(value, value, details)
    return State(_COMPLETED, None, None, value, details)


def aggregate_state(states: Any, value: Any, details: StateDetails | None = None) -> State:
    """The state of a run that returned other runs' states (`value`, holding `states`), by
    Prefect's rule: Completed when all completed, else Cancelled when any was cancelled,
    Paused when any paused, otherwise Failed. Its data is `value`, so that
    ``result(raise_on_failure=False)`` gives back what the run returned and ``result()``
    raises the first failed state's exception."""
    total = len(states)
    types = [s.type for s in states]
    completed = types.count(_COMPLETED)
    if completed == total:
        return State(_COMPLETED, None, "All states completed.", value, details)
    cancelled = types.count(_CANCELLED)
    if cancelled:
        message = f"{cancelled}/{total} states cancelled."
        return State(_CANCELLED, None, message, value, details)
    paused = types.count(StateType.PAUSED)
    if paused:
        return State(StateType.PAUSED, None, f"{paused}/{total} states paused.", value, details)
    failed = types.count(_FAILED) + types.count(_CRASHED)
    if failed:
        message = f"{failed}/{total} states failed."
    else:
        message = f"{sum(t not in TERMINAL_STATES for t in types)}/{total} states are not final."
    return State(_FAILED, None, message, value, details)


def _final_hooks(owner: Any, state: State) -> Any:
    """The hooks a run's not-Completed final state fires: on_failure for Failed, on_crashed for
    Crashed (as Prefect), on_cancellation for Cancelled — a flow that returned a Cancelled
    state, where Prefect fires none (tasks have neither option)."""
    if state.type is _FAILED:
        return owner.on_failure_hooks
    if state.type is _CANCELLED:
        return getattr(owner, "on_cancellation_hooks", None)
    if state.type is _CRASHED:
        return getattr(owner, "on_crashed_hooks", None)
    return None


def _persist(owner: Any, run: Run, state: State, args: tuple, kwargs: dict) -> State:
    """Store the result; a storage failure fails the run instead of passing silently — except
    for a run that returned other runs' states (their results are persisted with those runs),
    which keeps its value in memory and logs a warning, as Prefect does."""

    try:
        return persist_state(owner, run, state, args, kwargs)
    except Exception as exc:
        message = f"Could not persist the result: {type(exc).__name__}: {exc}"
        if _holds_states(state.raw_data):
            run_logger(run).warning("%s; the result stays in memory only", message)
            return state
        return State(_FAILED, None, message, exc, state.raw_details)


def _holds_states(data: Any) -> bool:
    return isinstance(data, State) or is_state_iterable(data)


def _should_retry(owner: Any, run: Run, state: State) -> bool:
    if run.run_count > owner.retries:
        return False
    condition = owner.retry_condition_fn
    if condition is None:
        return True
    # A sync function: `state.result()` in it gives the value, also for an async task (where
    # Prefect hands it an awaitable it cannot await).
    token = sync_callback.set(True)
    try:
        return bool(condition(owner, run, state))
    except Exception:
        run_logger(run).exception("retry_condition_fn raised; not retrying")
        return False
    finally:
        sync_callback.reset(token)


def retry_delay(owner: Any, attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (1-based), jittered if asked."""
    delays = owner.retry_delay_seconds
    if callable(delays):
        delays = delays(owner.retries)
    if isinstance(delays, (list, tuple)):
        delays = delays[min(attempt, len(delays)) - 1] if delays else 0
    delay = float(delays or 0)
    jitter = owner.retry_jitter_factor
    if jitter and delay > 0:
        delay = random.uniform(max(0.0, delay * (1 - jitter)), delay * (1 + jitter))
    return delay


def _interrupted(
    owner: Any, run: Run, backend: Backend, exc: BaseException, kind: str
) -> Generator[Any, Any, None]:
    """Record how a run ended when the process was interrupted, then let the signal through."""
    state_type, message = interruption(exc, kind)
    if state_type is _CANCELLED:
        state = Cancelled(message, data=None if by_request(exc) else exc)
        hooks = getattr(owner, "on_cancellation_hooks", ())
    else:
        state = Crashed(message, data=exc)
        hooks = getattr(owner, "on_crashed_hooks", ())
    backend.propose(run, state)
    run_logger(run).error("%s run ended %s: %s", kind, state.name, state.message)
    if hooks:
        yield from run_hooks(owner, run, state, hooks)


def record_interruption(run: Run, backend: Backend, exc: BaseException, kind: str) -> State:
    """Record how `run` ended when `exc` (not an `Exception`) interrupted it outside the user's
    function (between transitions, while waiting to retry); returns its final state. A run
    that already has a final state keeps it, and so does a suspended one (`Pause`)."""
    if run.state is not None and (run.state.is_final() or isinstance(exc, Pause)):
        return run.state
    state_type, message = interruption(exc, kind)
    details = (
        StateDetails(flow_run_id=run.id)
        if run.kind == "flow"
        else StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
    )
    data = None if by_request(exc) else exc
    state = State(state_type, None, message, data, details)
    backend.propose(run, state)
    return state


def run_hooks(owner: Any, run: Run, state: State, hooks: Any) -> Generator[Any, Any, None]:
    """Call each hook as ``hook(owner, run, state)``; a hook that raises is logged, not fatal.

    An async hook's coroutine is handed to the driver (``(AWAIT, coroutine)``), which awaits it
    on the run's event loop, or runs it to completion for a sync run.
    """
    for hook in hooks:
        name = getattr(hook, "__name__", repr(hook))
        try:
            result = hook(owner, run, state)
            if hasattr(result, "__await__"):
                _, exc = yield (AWAIT, result)
                if exc is not None:
                    raise exc
        except Exception:
            run_logger(run).exception("State hook %r raised an exception", name)


def _now() -> float:
    return time.time()


__all__ = [
    "AWAIT",
    "CALL",
    "SLEEP",
    "aggregate_state",
    "lifecycle",
    "outcome_state",
    "record_interruption",
    "retry_delay",
    "run_hooks",
]
