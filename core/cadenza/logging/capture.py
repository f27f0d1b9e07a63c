"""`log_prints=True`: `print` inside such a run becomes an INFO log line of that run.

`builtins.print` is replaced once, the first time a run asks for it; outside a run with
`log_prints`, and for prints to any file other than stdout, it behaves exactly like `print`.
"""

from __future__ import annotations

import builtins
import sys
from typing import Any

from cadenza.context import _flow_run_ctx, _task_run_ctx
from cadenza.logging.loggers import for_context

_original_print = builtins.print
_installed = False


def _print(
    *args: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None, flush: bool = False
) -> None:
    if file is None or file is sys.stdout:
        ctx = _task_run_ctx.get() or _flow_run_ctx.get()
        if ctx is not None and ctx.log_prints:
            text = (" " if sep is None else sep).join(str(a) for a in args)
            # As Prefect: what print would write, trailing whitespace and newline stripped.
            for_context(ctx).info((text + ("\n" if end is None else end)).rstrip())
            return
    _original_print(*args, sep=sep, end=end, file=file, flush=flush)


def install_print_capture() -> None:
    global _installed
    if not _installed:
        builtins.print = _print
        _installed = True


__all__ = ["install_print_capture"]
