"""SIGTERM during a flow run: raise `TerminationSignal` in the main thread so that the run is
recorded as Crashed, the record is flushed, and the process then exits with 128 + signum."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from cadenza.exceptions import TerminationSignal


def _raise_termination(signum: int, frame: object) -> None:
    raise TerminationSignal(signum)


def install_termination_handler() -> Callable[[], None] | None:
    """Install the handler if this is the main thread and SIGTERM has its default action.

    Returns a function that restores the previous handler, or None if nothing was installed
    (a handler the application set is left alone).
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        previous = signal.getsignal(signal.SIGTERM)
        if previous is not signal.SIG_DFL:
            return None
        signal.signal(signal.SIGTERM, _raise_termination)
    except (ValueError, OSError):
        return None

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
