"""Run logging: `get_run_logger()`, the handler that records log lines with their run, the
console echo, and `print` capture for `log_prints=True`. The standard `logging` module loads on
first use, not on ``import cadenza``."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    import logging
    from contextlib import AbstractContextManager
    from typing import Any

    from cadenza.logging.loggers import RunLoggerAdapter


def get_run_logger(context: Any = None, **kwargs: Any) -> RunLoggerAdapter:
    """The logger of the current task run, else of the current flow run.

    Raises `MissingContextError` outside any run, as Prefect does. Extra keyword arguments are
    added to every record.
    """
    # lazily: the standard logging module loads at first use, not on `import cadenza`
    from cadenza.logging.loggers import get_run_logger as _get_run_logger

    return _get_run_logger(context, **kwargs)


def get_logger(name: str | None = None) -> logging.Logger:
    """A logger under the ``cadenza`` namespace, with cadenza's handlers configured."""
    # lazily: the standard logging module loads at first use, not on `import cadenza`
    from cadenza.logging.loggers import get_logger as _get_logger

    return _get_logger(name)


def disable_run_logger() -> AbstractContextManager[None]:
    """Disable the flow-run and task-run loggers inside a ``with`` block (Prefect's name)."""
    # lazily: the standard logging module loads at first use, not on `import cadenza`
    from cadenza.logging.loggers import disable_run_logger as _disable_run_logger

    return _disable_run_logger()


__all__ = ["disable_run_logger", "get_logger", "get_run_logger"]
