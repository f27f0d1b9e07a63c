"""Signals during a flow run, and how an interruption ends a run.

SIGTERM: while an outermost flow runs in the main thread, a handler raises `TerminationSignal`
there (as Python raises `KeyboardInterrupt` for SIGINT) and remembers the signal. Sync code stops
where it is. In an async flow the exception leaves the event loop, and ``asyncio.run`` then
cancels the flow's task: the `CancelledError` that reaches each run is recognised as the SIGTERM
(`interruption`), so the runs end Crashed, not Cancelled. The flow engine flushes the record,
and `TerminationSignal`, a `SystemExit`, leaves ``asyncio.run`` and ends the process with
128 + 15.

SIGINT: sync code gets `KeyboardInterrupt`. In an async flow, ``asyncio.run``'s own handler
cancels the main task; our handler, in front of it, remembers the interrupt, so that the
cancellation is recorded as Ctrl-C rather than as a cancellation by the user's code.

Either signal arriving while the main thread writes the record waits for it (up to
`MAX_DEFER_S`), so that no transition is left applied in memory but never recorded.

`interruption` is the one place that decides how an interruption ends a run: Cancelled when it
was asked for (Ctrl-C, or an asyncio task cancelled by the user's own code — Prefect 3 records
both as Crashed), Crashed when the process is being stopped (SIGTERM) or exits under the run.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from cadenza.engine.interrupts import safe_to_interrupt
from cadenza.exceptions import CancellationRequested, TerminationSignal, signal_name
from cadenza.states import StateType

#: How long a signal that arrives while the main thread writes the record waits for it to
#: finish (re-delivered every `_RETRY_S`) before it is raised there anyway.
MAX_DEFER_S = 1.0
_RETRY_S = 0.002

_received: int | None = None  # the signal stopping this process's flow runs, once one arrived
_users = 0  # outermost flow runs relying on the handlers (several async flows may run at once)
_installed = False
_previous_int: Any = None  # the SIGINT handler ours defers to (Python's, or asyncio.run's)
_pending: int | None = None  # a signal deferred, to be re-delivered
_deferred_since = 0.0
_main_ident = threading.main_thread().ident
_cancelling = False  # a SIGINT sent by `interrupt_main_for_cancellation`: raise the request


def received() -> int | None:
    """The signal (SIGTERM or SIGINT) that is stopping this process's flow runs, if any."""
    return _received


def install_termination_handler() -> Callable[[], None] | None:
    """Install the handlers for an outermost flow run (main thread, SIGTERM at its default).

    Returns a function to call when the run ends (the last run to end restores the previous
    handlers), or None if nothing was installed: not the main thread, or the application
    handles SIGTERM itself.
    """
    global _received, _users, _installed, _previous_int
    if threading.current_thread() is not threading.main_thread():
        return None
    if not _installed:
        try:
            if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
                return None
            _previous_int = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGTERM, _on_signal)
            if callable(_previous_int):  # not SIG_IGN / SIG_DFL: leave those alone
                signal.signal(signal.SIGINT, _on_signal)
        except (ValueError, OSError):
            return None
        _installed = True
        _received = None
    _users += 1
    return _release


def _release() -> None:
    global _users
    _users -= 1
    if _users == 0 and _pending is None:  # else the deferred signal restores them on arrival
        _restore()


def _restore() -> None:
    global _installed
    if not _installed:
        return
    _installed = False
    try:
        if signal.getsignal(signal.SIGTERM) is _on_signal:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if signal.getsignal(signal.SIGINT) is _on_signal:
            signal.signal(signal.SIGINT, _previous_int)
    except (ValueError, OSError):
        pass


def interrupt_main_for_cancellation(ident: int | None) -> bool:
    """Raise `CancellationRequested` in the main thread through the SIGINT handler, which cuts
    a blocking call (a sleep, a lock's wait) short; True if sent. Only when `ident` is the main
    thread and the handlers are installed (an outermost flow run there)."""
    global _cancelling
    if ident != _main_ident or not _installed or not _users or not hasattr(signal, "pthread_kill"):
        return False
    if signal.getsignal(signal.SIGINT) is not _on_signal:
        return False
    _cancelling = True
    signal.pthread_kill(_main_ident, signal.SIGINT)
    return True


def _on_signal(signum: int, frame: Any) -> Any:
    """SIGTERM raises `TerminationSignal`; SIGINT goes on to the previous handler (which raises
    KeyboardInterrupt, or cancels asyncio.run's main task). Either waits while the main thread
    is writing the record (`safe_to_interrupt`), so no transition is left half-applied. A SIGINT
    sent for a cancellation request raises `CancellationRequested` instead."""
    global _received, _pending, _cancelling
    if signum == signal.SIGINT and _cancelling:
        if not _users:  # the runs ended before it arrived: nothing left to stop
            _cancelling = False
            return None
        if not safe_to_interrupt(frame) and _defer(signum):
            return None
        _pending = None
        _cancelling = False
        raise CancellationRequested
    if signum == signal.SIGTERM or _received is None:
        _received = signum
    if _users and not safe_to_interrupt(frame) and _defer(signum):
        return None
    _pending = None
    if _users == 0:  # a deferred signal arriving after the last run ended: as if unhandled
        _restore()
        if signum != signal.SIGTERM:
            return _previous_int(signum, frame)
        raise TerminationSignal(signum)  # exits 143 as SIGTERM's default would, after atexit
    if signum == signal.SIGTERM:
        raise TerminationSignal(signum)
    return _previous_int(signum, frame)


def _defer(signum: int) -> bool:
    """Have `signum` delivered again in a moment; False once it has waited `MAX_DEFER_S`."""
    global _pending, _deferred_since
    now = time.monotonic()
    if _pending is None:
        _deferred_since = now
    elif now - _deferred_since > MAX_DEFER_S:
        return False
    _pending = signum
    # A bare thread: `threading` takes locks the interrupted main thread may hold.
    _thread.start_new_thread(_redeliver, (signum,))
    return True


def _redeliver(signum: int) -> None:
    time.sleep(_RETRY_S)
    if hasattr(signal, "pthread_kill"):  # a real signal: it also ends a sleep or a select
        signal.pthread_kill(_main_ident, signum)
    else:
        _thread.interrupt_main(signum)


def interruption(exc: BaseException, kind: str) -> tuple[StateType, str]:
    """How a `kind` ("Flow" or "Task") run interrupted by `exc` (not an `Exception`) ends:
    (CANCELLED or CRASHED, the state's message)."""
    state_type, what, by_signal = _classify(exc)
    if state_type is StateType.CANCELLED:
        return state_type, f"{kind} run was cancelled by {what}"
    if by_signal:
        return state_type, f"{kind} run crashed: the process received {what}"
    return state_type, f"{kind} run crashed: {what}"


def cause(exc: BaseException) -> str:
    """What interrupted a run, as a noun: ``"SIGTERM (signal 15)"``, ``"SystemExit"`` ..."""
    return _classify(exc)[1]


#: The message of an asyncio cancellation that `cadenza.engine.cancellation` makes.
REQUESTED = "cadenza: cancellation requested"
_BY_REQUEST = "a cancellation request (cadenza runs cancel, the API or an automation)"


def by_request(exc: BaseException) -> bool:
    """True if `exc` is how a cancellation request (`cadenza.engine.cancellation`) stops a run:
    the run's state then carries no exception, and its result raises `CancelledRun`."""
    if isinstance(exc, CancellationRequested):
        return True
    return _is_async_cancellation(exc) and REQUESTED in exc.args


def _classify(exc: BaseException) -> tuple[StateType, str, bool]:
    if by_request(exc):
        return StateType.CANCELLED, _BY_REQUEST, False
    signum = exc.signum if isinstance(exc, TerminationSignal) else None
    cancelled = _is_async_cancellation(exc)
    if signum is None and cancelled:
        signum = _received  # the cancellation is how the signal reached this run
    if isinstance(exc, KeyboardInterrupt) or signum == signal.SIGINT:
        return StateType.CANCELLED, "an interrupt (KeyboardInterrupt)", True
    if signum is not None:
        return StateType.CRASHED, signal_name(signum), True
    if cancelled:
        return StateType.CANCELLED, "an asyncio cancellation (its task was cancelled)", False
    return StateType.CRASHED, type(exc).__name__, False


def _is_async_cancellation(exc: BaseException) -> bool:
    aio = sys.modules.get("asyncio")  # never imported here: without asyncio, nothing to cancel
    return aio is not None and isinstance(exc, aio.CancelledError)


__all__ = [
    "MAX_DEFER_S",
    "REQUESTED",
    "by_request",
    "cause",
    "install_termination_handler",
    "interrupt_main_for_cancellation",
    "interruption",
    "received",
]
