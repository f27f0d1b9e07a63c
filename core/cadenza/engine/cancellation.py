"""Seeing a cancellation request while a flow runs, and stopping the run.

`cadenza runs cancel` (or the API, an automation) moves a flow run to Cancelling in the record
(`cadenza.store.run_control`). The process running it learns of it here: one daemon thread per
process, while flow runs are under way, reads their recorded states from their backend every
``CADENZA_CANCELLATION_POLL_INTERVAL`` seconds (`Backend.read_states`: the embedded record, or
``POST /api/flow_runs/states`` on a server). When it finds one Cancelling (or already ended by
someone else), it stops that run:

- the flow run's task runs are stopped (`FlowRunContext.stop_task_runs`): those not started
  never start and end Cancelled, those under way are interrupted as timeouts interrupt them;
- `CancellationRequested` is raised where the flow's function runs — in its thread (the main
  thread's blocking calls, such as a sleep, are cut short through the SIGINT handler the flow
  engine installed), or, for an async flow, as the cancellation of its asyncio task.

The engine then ends the run Cancelled, runs its ``on_cancellation`` hooks and reports it: the
acknowledgement the canceller waits for. Cancelling a flow run whose parent is not cancelled
ends the subflow Cancelled and raises `CancelledRun` in the parent, as a failed subflow would.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from cadenza.engine import signals
from cadenza.engine.interrupts import raise_in_thread
from cadenza.exceptions import CancellationRequested
from cadenza.settings import spec

if TYPE_CHECKING:
    from cadenza.context import FlowRunContext

_STOP = ("CANCELLING", "CANCELLED")
_RETRY_S = 0.01  # a thread that could not be interrupted just now (it writes the record)


class _Watched:
    __slots__ = ("ctx", "loop", "parent", "stopped", "task", "thread")

    def __init__(self, ctx: FlowRunContext, parent: str | None, loop: Any, task: Any) -> None:
        self.ctx = ctx
        self.parent = parent
        self.thread = threading.get_ident()
        self.loop = loop  # an async flow's event loop and asyncio task, else None
        self.task = task
        self.stopped = False


_watched: dict[str, _Watched] = {}
_lock = threading.Lock()
_wake = threading.Condition(_lock)
_thread: threading.Thread | None = None
_targets: dict[int, str] = {}  # thread ident -> the run whose cancellation was raised there
_task_targets: dict[int, str] = {}  # id(asyncio task) -> the run whose cancellation it is


def watch(ctx: FlowRunContext) -> None:
    """Watch `ctx`'s flow run for a cancellation request until `unwatch`."""
    global _thread
    loop = task = None
    if ctx.flow.isasync:
        import asyncio  # only async flows come here; `import cadenza` stays without asyncio

        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
    parent = ctx.flow_run.parent_flow_run_id
    with _lock:
        _watched[ctx.flow_run.id] = _Watched(ctx, parent, loop, task)
        if _thread is None:
            _thread = threading.Thread(target=_loop, name="cadenza-cancellation", daemon=True)
            _thread.start()


def unwatch(ctx: FlowRunContext) -> None:
    with _lock:
        _watched.pop(ctx.flow_run.id, None)


def requested_here(run_id: str) -> bool:
    """True if the cancellation raised in this thread was `run_id`'s own."""
    return _targets.get(threading.get_ident()) == run_id


def settle(run_id: str) -> None:
    """The run whose cancellation was raised in this thread has ended: forget it."""
    ident = threading.get_ident()
    if _targets.get(ident) == run_id:
        del _targets[ident]


def async_requested_here(run_id: str, exc: BaseException) -> bool:
    """True if `exc` is the cancellation of this asyncio task made for `run_id`'s request (the
    task's cancellation is then withdrawn: the run ended, and its caller goes on)."""
    if type(exc).__name__ != "CancelledError" or signals.REQUESTED not in exc.args:
        return False
    import asyncio  # an async flow's caller: asyncio is loaded already

    task = asyncio.current_task()
    if task is None or _task_targets.get(id(task)) != run_id:
        return False
    del _task_targets[id(task)]
    uncancel = getattr(task, "uncancel", None)  # Python 3.11+: withdraw the request
    if uncancel is not None:
        uncancel()
    return True


def _loop() -> None:
    """Look every poll interval while runs are watched; end after an interval with none (a
    run shorter than one interval is never looked at, and back-to-back runs share a thread)."""
    global _thread
    while True:
        with _lock:
            _wake.wait(spec.get("CADENZA_CANCELLATION_POLL_INTERVAL"))
            if not _watched:
                _thread = None
                return
            runs = [w for w in _watched.values() if not w.stopped]
        try:
            _look(runs)
        except Exception:  # a failed look (the record busy, the server away) is tried again
            pass


def _look(runs: list[_Watched]) -> None:
    by_backend: dict[int, list[_Watched]] = {}
    for w in runs:
        by_backend.setdefault(id(w.ctx.backend), []).append(w)
    asked: dict[str, _Watched] = {}
    for group in by_backend.values():
        states = group[0].ctx.backend.read_states([w.ctx.flow_run.id for w in group])
        for w in group:
            recorded = states.get(w.ctx.flow_run.id)
            if recorded is not None and recorded[0] in _STOP and not _ended_here(w):
                asked[w.ctx.flow_run.id] = w
    for run_id, w in asked.items():
        if w.parent in asked:  # its parent stops, and it with it
            continue
        _stop(run_id, w)


def _ended_here(w: _Watched) -> bool:
    state = w.ctx.flow_run.state
    return state is not None and state.is_final()


def _stop(run_id: str, w: _Watched) -> None:
    """Raise the request where the run's function runs; the flow engine stops its task runs
    as it unwinds (`FlowRunContext.stop_task_runs`)."""
    w.stopped = True
    if w.loop is not None:
        _task_targets[id(w.task)] = run_id
        w.loop.call_soon_threadsafe(_cancel_task, w.task)
        return
    _targets[w.thread] = run_id
    if signals.interrupt_main_for_cancellation(w.thread):
        return  # a signal: it also cuts a sleep or a wait short
    while not raise_in_thread(w.thread, CancellationRequested):
        if run_id not in _watched or _ended_here(w):
            _targets.pop(w.thread, None)
            return
        threading.Event().wait(_RETRY_S)
    # Another thread may be blocked waiting for its task runs, where the exception cannot
    # land: stopping them ends the wait, and the exception is raised right after.
    w.ctx.stop_task_runs(CancellationRequested())


def _cancel_task(task: Any) -> None:
    if task is not None and not task.done():
        task.cancel(signals.REQUESTED)


__all__ = ["async_requested_here", "requested_here", "settle", "unwatch", "watch"]
