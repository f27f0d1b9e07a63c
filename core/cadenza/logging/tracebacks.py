"""A failure's traceback as users see it: their own frames, shown once.

- **The user's frames.** cadenza's own frames (every module of the ``cadenza`` package: the
  engine, the task runners, the CLI) are left out of a traceback, unless
  ``CADENZA_LOGGING_TRACEBACK=full``; a traceback with no other frame is kept whole, since
  it then shows a fault of cadenza itself. A traceback logged where a run caught the exception
  is preceded by the user's frames that called the run (``<module>``, the flow that called the
  task), so the one traceback shows the whole way from the script to the failing line.
- **Once.** The console echo marks the exception whose traceback it printed; the same exception
  reported again (the flow run that a failed task made fail, the flow call that raises it at
  the top of the script) is a single line that says the traceback was shown above. The record
  keeps each run's traceback: once per run.

`format_exception` costs nothing until a failure is reported: nothing here runs on the path of
a task that succeeds.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from types import FrameType, TracebackType
from typing import Any

from cadenza.exceptions import ServerUnreachable
from cadenza.settings import spec

#: The directory of the ``cadenza`` package: frames under it are cadenza's own.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_SHOWN = "_cadenza_traceback_shown"
_library_dirs: tuple[str, ...] | None = None
#: sysconfig paths whose frames are not the user's (console scripts such as `cadenza` too).
_LIBRARY_PATHS = ("stdlib", "platstdlib", "purelib", "platlib", "scripts")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def full() -> bool:
    """Whether ``CADENZA_LOGGING_TRACEBACK`` asks for every frame, cadenza's included."""
    return str(spec.get("CADENZA_LOGGING_TRACEBACK")).upper() == "FULL"


def is_cadenza_frame(filename: str) -> bool:
    return filename.startswith(PACKAGE_DIR)


def _is_library_frame(filename: str) -> bool:
    """A frame of the standard library or an installed package (pytest, click, runpy...)."""
    global _library_dirs
    if _library_dirs is None:
        paths = sysconfig.get_paths()
        found = {paths[k] for k in _LIBRARY_PATHS if k in paths}
        _library_dirs = tuple(os.path.join(os.path.realpath(p), "") for p in found)
    return filename.startswith("<frozen") or os.path.realpath(filename).startswith(_library_dirs)


def _keep(stack: traceback.StackSummary) -> traceback.StackSummary:
    kept = [f for f in stack if not is_cadenza_frame(f.filename)]
    return traceback.StackSummary.from_list(kept) if kept else stack


def _callers(tb: TracebackType, every: bool) -> list[traceback.FrameSummary]:
    """The frames that called the frame where `tb` starts (where the run caught it): the
    user's only, unless `every`."""
    frame: FrameType | None = tb.tb_frame.f_back
    if frame is None:
        return []
    stack = traceback.extract_stack(frame)
    if every:
        return list(stack)
    return [
        f for f in stack if not is_cadenza_frame(f.filename) and not _is_library_frame(f.filename)
    ]


def format_exception(exc_info: ExcInfo, *, callers: bool = True) -> str:
    """The traceback of `exc_info` with the user's frames only (see the module docstring), as
    ``traceback.format_exception`` would lay it out, without the final newline. `callers`: an
    exception caught by cadenza (a run's failure) is preceded by the frames that called it."""
    etype, value, tb = exc_info
    every = full()
    te = traceback.TracebackException(etype, value, tb, compact=True)
    if not every:
        seen: set[int] = set()
        pending = [te]
        while pending:  # the exception and those chained to it (cause, context, groups)
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            current.stack = _keep(current.stack)
            group = getattr(current, "exceptions", None) or ()
            chained = (current.__cause__, current.__context__, *group)
            pending.extend(x for x in chained if x is not None)
    caught_by_cadenza = tb is not None and is_cadenza_frame(tb.tb_frame.f_code.co_filename)
    users_failure = every or bool(te.stack and not is_cadenza_frame(te.stack[-1].filename))
    if callers and tb is not None and caught_by_cadenza and users_failure:
        above = _callers(tb, every)
        if above:
            te.stack = traceback.StackSummary.from_list([*above, *te.stack])
    return "".join(te.format()).rstrip("\n")


def was_shown(exc: BaseException) -> bool:
    """Whether the console printed `exc`'s traceback already."""
    return getattr(exc, _SHOWN, False) is True


def mark_shown(exc: BaseException) -> None:
    try:
        setattr(exc, _SHOWN, True)
    except (AttributeError, TypeError):  # an exception type without a __dict__
        pass


def shown_line(exc: BaseException) -> str:
    """The one line that stands for a traceback printed before."""
    last = traceback.format_exception_only(type(exc), exc)[-1].rstrip("\n")
    return f"{last} (traceback above)"


# -- the uncaught exception at the top of a script ------------------------------------------------
_previous_hook: Any = None


def _excepthook(etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    try:
        if was_shown(value):
            sys.stderr.write(shown_line(value) + "\n")
            return
        if isinstance(value, ServerUnreachable):  # no fault of the code: its one line says all
            sys.stderr.write(f"{etype.__name__}: {value}\n")
            return
        if not full() and _has_cadenza_frame(value):
            sys.stderr.write(format_exception((etype, value, tb), callers=False) + "\n")
            return
    except Exception:  # never lose the traceback over a fault here
        pass
    (_previous_hook or sys.__excepthook__)(etype, value, tb)


def _has_cadenza_frame(value: BaseException | None) -> bool:
    seen: set[int] = set()
    while value is not None and id(value) not in seen:
        seen.add(id(value))
        tb = value.__traceback__
        while tb is not None:
            if is_cadenza_frame(tb.tb_frame.f_code.co_filename):
                return True
            tb = tb.tb_next
        value = value.__cause__ or value.__context__
    return False


def install_excepthook() -> None:
    """Print an uncaught exception that left a flow call as the console shows run failures:
    the user's frames, or one line when its traceback was printed already. Only over Python's
    own hook (an application's or IPython's is left alone); other exceptions print as before."""
    global _previous_hook
    if sys.excepthook is sys.__excepthook__:
        _previous_hook = sys.excepthook
        sys.excepthook = _excepthook


__all__ = [
    "PACKAGE_DIR",
    "format_exception",
    "full",
    "install_excepthook",
    "is_cadenza_frame",
    "mark_shown",
    "shown_line",
    "was_shown",
]
