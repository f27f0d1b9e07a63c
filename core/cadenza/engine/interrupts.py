"""Where a run may be interrupted by an exception raised asynchronously.

A signal handler's exception, or one sent to a task runner's thread (as timeouts do), is raised
at whatever bytecode the thread is executing. Landing inside code that writes the record or a
result — a backend applying a transition, a result being written — it could leave a transition
applied in memory but never queued for the record. Anywhere else (the user's function, the
engine's bookkeeping) the engine records how the run ended. `safe_to_interrupt` tells the two
apart by the modules on the thread's stack; callers wait a moment and try again when it says no.
"""

from __future__ import annotations

import ctypes
import os
import sys
from types import FrameType

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The packages that write the record (backends, client, store) or result files (results).
_WRITERS = tuple(
    os.path.join(_PACKAGE, name) + os.sep for name in ("backends", "client", "results", "store")
)


def safe_to_interrupt(frame: FrameType | None) -> bool:
    """True unless `frame` or one of its callers is in code that writes the record or a result."""
    while frame is not None:
        if frame.f_code.co_filename.startswith(_WRITERS):
            return False
        frame = frame.f_back
    return True


def raise_in_thread(ident: int, exc_type: type[BaseException], check: bool = True) -> bool:
    """Make thread `ident` raise `exc_type` at its next bytecode; True if the request was made.

    With `check`, only while the thread is somewhere `safe_to_interrupt`: the thread may move
    between the look and the request, so it looks again afterwards and withdraws a request
    still pending if the thread is now somewhere unsafe. Code blocked in a C call (a sleep, a
    socket read) raises when the call returns.
    """
    if check and not _thread_is_safe(ident):
        return False
    _set_async_exc(ident, exc_type)
    if check and not _thread_is_safe(ident):
        _set_async_exc(ident, None)
        return False
    return True


def _thread_is_safe(ident: int) -> bool:
    frame = sys._current_frames().get(ident)
    return frame is not None and safe_to_interrupt(frame)


def _set_async_exc(ident: int, exc_type: type[BaseException] | None) -> None:
    # None is passed as NULL, which withdraws a pending request.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exc_type) if exc_type is not None else None
    )


__all__ = ["raise_in_thread", "safe_to_interrupt"]
