"""Pausing, suspending and resuming flow runs (Prefect's `prefect.flow_runs`, same names).

- `pause_flow_run` (inside a flow's body): the run goes Paused and this process waits, reading
  the run's recorded state, until someone resumes it (`resume_flow_run`, ``cadenza runs
  resume-paused``); the flow then goes on in this process. With ``wait_for_input`` the resumer
  must give an input that fits it, and the call returns it. Past ``timeout`` it raises
  `FlowPauseTimeout`, which fails the run.
- `suspend_flow_run`: the run goes Paused named Suspended and this process's flow run ends
  (`cadenza.exceptions.Pause`, which the engine lets through without failing the run). Resumed,
  the run is Scheduled again and a worker (or `serve` process) runs the flow anew from the
  start; the same call there returns the input given. Only a run of a deployment can be
  suspended, as nothing else could run it again. Task runs that completed before the
  suspension run again unless they are cached: give them a cache policy (``cache_policy=
  DEFAULT``, whose key includes the flow run's id) so that the new attempt loads their results.

Each call has a key: ``key``, else its number among this run's pause and suspend calls (1, 2, ...),
so the same call site gets the same key when a suspended run runs again. A pause whose key was
resumed already (its response input is recorded) returns that input at once instead of pausing.

The state is read with the backend's `read_states` every ``min(poll_interval,
CADENZA_CANCELLATION_POLL_INTERVAL)`` seconds: a resume is seen within about half a second. A
cancellation while paused is stopped by `cadenza.engine.cancellation`, which watches the run.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from cadenza._dispatch import dual
from cadenza.context import FlowRunContext, TaskRunContext
from cadenza.exceptions import FlowPauseTimeout, FlowRunWaitTimeout, Pause
from cadenza.input.keys import keyset_from_base_key
from cadenza.input.records import open_record
from cadenza.logging.loggers import for_context
from cadenza.settings import spec
from cadenza.states import State, StateDetails, StateType

if TYPE_CHECKING:
    from cadenza.input.keys import Keyset

_RUNNING = StateType.RUNNING.value
_ENDED = ("COMPLETED", "FAILED", "CRASHED")
MAX_KEY = 200


class _Pause:
    """One pause under way: what to wait for and what to hand back."""

    __slots__ = ("ctx", "interval", "keyset", "model", "timeout")

    def __init__(self, ctx: FlowRunContext, model: Any, keyset: Keyset, timeout: float | None,
                 poll_interval: float) -> None:  # fmt: skip
        self.ctx = ctx
        self.model = model
        self.keyset = keyset
        self.timeout = timeout
        looks = spec.get("CADENZA_CANCELLATION_POLL_INTERVAL")
        self.interval = max(0.01, min(float(poll_interval), float(looks)))

    def loaded(self) -> Any:
        """The input the run was resumed with, as `wait_for_input` asked (None without)."""
        if self.model is None:
            return None
        return self.model.load(self.keyset, flow_run_id=self.ctx.flow_run.id)

    def look(self) -> bool:
        """True once the record holds the run resumed (Running); raises if it ended."""
        run = self.ctx.flow_run
        seen = self.ctx.backend.read_states([run.id]).get(run.id)
        if seen is None:  # not readable just now (a server restarting): look again later
            return False
        if seen[0] == _RUNNING:
            # The resumer moved the run on in the record; this process's copy follows.
            run.state = State(StateType.RUNNING, seen[1] or "Running", None,
                              state_details=StateDetails(flow_run_id=run.id))  # fmt: skip
            for_context(self.ctx).info("Resuming flow run execution!")
            return True
        if seen[0] in _ENDED:
            raise RuntimeError(f"Flow run {run.id} ended {seen[1]} while it was paused")
        return False  # Paused; or Cancelling, which the cancellation watcher acts on

    def timed_out(self) -> FlowPauseTimeout:
        return FlowPauseTimeout(
            f"Flow run was paused and never resumed within {self.timeout:g} s "
            f"(pause_flow_run(timeout={self.timeout:g}))"
        )


def pause_flow_run(
    wait_for_input: Any = None,
    timeout: float | None = 3600,
    poll_interval: float = 10,
    key: str | None = None,
) -> Any:
    """Pause the current flow run until it is resumed; return the input it was resumed with.

    Args:
        wait_for_input: a `RunInput` subclass, a pydantic model, or a plain type (``int``,
            ``list[str]``, a dataclass ...). The resumer must give input that fits it (else
            the resume is refused and the run stays paused); this returns it — an instance
            of the model, or for a plain type the value itself.
        timeout: seconds to wait before failing the run (`FlowPauseTimeout`); None: no limit.
        poll_interval: at most this many seconds between looks at the run's state (cadenza
            looks every ``CADENZA_CANCELLATION_POLL_INTERVAL`` seconds when that is shorter).
        key: the pause's key (default: its number among this run's pauses).

    Called in an async flow, it returns a coroutine (`apause_flow_run`), as Prefect's does.
    """
    if _in_async_flow():
        return apause_flow_run(wait_for_input, timeout, poll_interval, key)
    pause, value = _begin("Paused", wait_for_input, timeout, key, poll_interval)
    if pause is None:
        return value
    deadline = None if timeout is None else time.monotonic() + timeout
    while not pause.look():
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise pause.timed_out()
        time.sleep(pause.interval if left is None else min(pause.interval, left))
    return pause.loaded()


async def apause_flow_run(
    wait_for_input: Any = None,
    timeout: float | None = 3600,
    poll_interval: float = 10,
    key: str | None = None,
) -> Any:
    """`pause_flow_run` for async flows: waits without blocking the event loop."""
    import asyncio  # an async flow runs: asyncio is loaded already

    pause, value = await asyncio.to_thread(
        _begin, "Paused", wait_for_input, timeout, key, poll_interval
    )
    if pause is None:
        return value
    deadline = None if timeout is None else time.monotonic() + timeout
    while not await asyncio.to_thread(pause.look):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise pause.timed_out()
        await asyncio.sleep(pause.interval if left is None else min(pause.interval, left))
    return await asyncio.to_thread(pause.loaded)


def suspend_flow_run(
    wait_for_input: Any = None,
    flow_run_id: Any = None,
    timeout: float | None = None,
    key: str | None = None,
) -> Any:
    """Suspend the current flow run: it goes Paused (named Suspended) and this process's run of
    it ends, without failing it. Resumed, it is Scheduled again and a worker runs the flow
    anew; there this call returns the input given when resuming (as `pause_flow_run` does).

    Args:
        wait_for_input: as for `pause_flow_run`.
        flow_run_id: only the current flow run can be suspended (its id, or None).
        timeout: seconds after which the server fails the run if it was not resumed; None (the
            default, as in Prefect): no limit.
        key: the suspension's key (default: its number among this run's pauses).

    Called in an async flow, it returns a coroutine (`asuspend_flow_run`).
    """
    if _in_async_flow():
        return asuspend_flow_run(wait_for_input, flow_run_id, timeout, key)
    _check_current(flow_run_id)
    pause, value = _begin("Suspended", wait_for_input, timeout, key)
    if pause is None:
        return value
    raise _suspended(pause.ctx)


async def asuspend_flow_run(
    wait_for_input: Any = None,
    flow_run_id: Any = None,
    timeout: float | None = None,
    key: str | None = None,
) -> Any:
    """`suspend_flow_run` for async flows."""
    import asyncio  # an async flow runs: asyncio is loaded already

    _check_current(flow_run_id)
    pause, value = await asyncio.to_thread(_begin, "Suspended", wait_for_input, timeout, key)
    if pause is None:
        return value
    raise _suspended(pause.ctx)


def resume_flow_run(flow_run_id: Any, run_input: dict[str, Any] | None = None) -> None:
    """Resume a paused (or suspended) flow run, giving it `run_input` if it waits for input.

    Raises `NotPausedError` (it is not paused), `FlowPauseTimeout` (its pause timed out),
    `InvalidRunInput` (the input does not fit: each field is named; the run stays paused),
    `ObjectNotFound` (no such run).
    """
    with open_record() as record:
        record.resume(str(flow_run_id), run_input)


async def aresume_flow_run(flow_run_id: Any, run_input: dict[str, Any] | None = None) -> None:
    """`resume_flow_run` without blocking the event loop."""
    import asyncio  # an async caller: asyncio is loaded already

    await asyncio.to_thread(resume_flow_run, flow_run_id, run_input)


# -- the steps -------------------------------------------------------------------------------------


def _begin(name: str, wait_for_input: Any, timeout: float | None, key: str | None,
           poll_interval: float = 10) -> tuple[_Pause | None, Any]:  # fmt: skip
    """Propose the Paused (or Suspended) state; (the pause, None) — or (None, the input) when
    this pause was resumed before (a suspended run running again)."""
    what = "paused" if name == "Paused" else "suspended"
    if timeout is not None and (isinstance(timeout, bool) or not timeout >= 0):
        raise ValueError(f"'timeout' must be a non-negative number, got {timeout!r}")
    if not (isinstance(poll_interval, (int, float)) and poll_interval > 0):
        raise ValueError(f"'poll_interval' must be a positive number, got {poll_interval!r}")
    if TaskRunContext.get() is not None:
        raise RuntimeError(
            f"Cannot {'pause' if name == 'Paused' else 'suspend'} task runs: call it in the "
            "flow's own function, not in a task"
        )
    ctx = FlowRunContext.get()
    if ctx is None:
        raise RuntimeError(f"Flow runs can only be {what} from within a flow run.")
    ctx.pauses += 1
    pause_key = _checked_key(key) if key is not None else str(ctx.pauses)
    model = None
    if wait_for_input is not None:
        # lazily: pydantic loads only for a pause that waits for input
        from cadenza.input.run_input import run_input_subclass_from_type

        model = run_input_subclass_from_type(wait_for_input)
    keyset = keyset_from_base_key(f"{name.lower()}-{pause_key}")
    pause = _Pause(ctx, model, keyset, timeout, poll_interval)
    run, backend = ctx.flow_run, ctx.backend
    backend.flush()  # the run is in the record before an input row names it
    with open_record() as record:
        if record.read(run.id, keyset["response"]) is not None:
            for_context(ctx).info("This %s was resumed before (key %r); going on", what, pause_key)
            return None, pause.loaded()
        if name == "Suspended" and not record.run(run.id).get("deployment_id"):
            raise RuntimeError(
                f"Flow run {run.id} cannot be suspended: it is not a run of a deployment, so no "
                "worker or serve process could run it again once resumed; use pause_flow_run "
                "to wait in this process instead"
            )
    if model is not None:
        model.save(keyset, flow_run_id=run.id)
    if name == "Suspended":  # task runs under way finish (and persist) before the run ends
        ctx.wait_for_task_runs()
    now = time.time()
    deadline = None if timeout is None else now + timeout
    details = StateDetails(
        flow_run_id=run.id,
        pause_timeout=deadline,
        pause_key=pause_key,
        pause_reschedule=name == "Suspended",
        run_input_keyset={str(k): v for k, v in keyset.items()} if model is not None else None,
    )
    how = f"cadenza runs resume-paused {run.id}"
    state = State(StateType.PAUSED, name, f"Waiting to be resumed ({how})", None, details, now)
    decision = backend.propose(run, state)
    if not decision.accepted:
        raise RuntimeError(f"Flow run cannot be {what}: {decision.reason}")
    backend.flush()
    if name == "Paused":
        for_context(ctx).info(
            "Pausing flow, execution will continue when this flow run is resumed (%s)", how
        )
    return pause, None


def _suspended(ctx: FlowRunContext) -> Pause:
    run = ctx.flow_run
    heartbeat = getattr(ctx.backend, "heartbeat", None)
    if heartbeat is not None:  # a server's: the run is no longer this process's to keep alive
        heartbeat.discard(run.id)
    for_context(ctx).info(
        "Suspending flow run, execution will be rescheduled when this flow run is resumed "
        "(cadenza runs resume-paused %s)",
        run.id,
    )
    return Pause(f"flow run {run.id} was suspended", state=run.state)


def _check_current(flow_run_id: Any) -> None:
    if flow_run_id is None:
        return
    ctx = FlowRunContext.get()
    if ctx is None or str(flow_run_id) != ctx.flow_run.id:
        raise ValueError(
            "suspend_flow_run(flow_run_id=...) can only name the current flow run; suspending "
            "another flow run is not supported"
        )


def _checked_key(key: Any) -> str:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY or not key.isprintable():
        raise ValueError(f"'key' must be 1 to {MAX_KEY} printable characters, got {key!r:.80}")
    return key


def _in_async_flow() -> bool:
    """True in an async flow's own thread (its event loop runs there)."""
    ctx = FlowRunContext.get()
    asyncio = sys.modules.get("asyncio")
    if ctx is None or asyncio is None or not ctx.flow.isasync:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@dual
def wait_for_flow_run(
    flow_run_id: Any,
    timeout: int | None = 10800,
    poll_interval: int | None = None,
    client: Any = None,
    log_states: bool = False,
) -> Any:
    """Wait until flow run `flow_run_id` is in a final state and return it (a client
    ``FlowRun``); `FlowRunWaitTimeout` once `timeout` seconds pass. It reads the run every
    `poll_interval` seconds (1 by default) through `client` (one of `get_client`'s, sync or
    async) or a client of its own; ``log_states`` logs each state it sees. Awaitable from async
    code, as Prefect's."""
    # lazily: the client's schemas import pydantic
    from cadenza.client.orchestration import get_client

    reader = getattr(client, "sync_client", client) or get_client(sync_client=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    seen = None
    try:
        while True:
            run = reader.read_flow_run(flow_run_id)
            if log_states and run.state_name != seen:
                seen = run.state_name
                logging.getLogger("cadenza.flow_runs").info(
                    "Flow run %s entered state %s", flow_run_id, seen
                )
            if run.state is not None and run.state.is_final():
                return run
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise FlowRunWaitTimeout(
                    f"Flow run with ID {flow_run_id} exceeded watch timeout of {timeout} seconds"
                )
            time.sleep(min(poll_interval or 1, left if left is not None else float("inf")))
    finally:
        if client is None:
            reader.close()


__all__ = [
    "apause_flow_run",
    "aresume_flow_run",
    "asuspend_flow_run",
    "pause_flow_run",
    "resume_flow_run",
    "suspend_flow_run",
    "wait_for_flow_run",
]
