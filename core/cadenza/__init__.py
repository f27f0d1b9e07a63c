"""Cadenza: Python-native workflow orchestration and observability.

``from cadenza import flow, task`` imports only the standard library pieces the engine needs;
settings, pydantic, SQLite and the CLI load on first use. ``from cadenza import hookimpl`` (the
marker plugins decorate their hook functions with) imports pluggy only when asked for.
"""

from cadenza.annotations import allow_failure, quote, unmapped
from cadenza.context import tags
from cadenza.flows import Flow, flow
from cadenza.logging import get_run_logger
from cadenza.states import State, StateType
from cadenza.tasks import Task, task

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:  # type checkers see the two names __getattr__ below provides lazily
    from cadenza.client import get_client as get_client
    from cadenza.plugins.markers import hookimpl as hookimpl

__version__ = "0.1.0"

__all__ = [
    "Flow",
    "State",
    "StateType",
    "Task",
    "__version__",
    "allow_failure",
    "flow",
    "get_client",
    "get_run_logger",
    "hookimpl",
    "quote",
    "tags",
    "task",
    "unmapped",
]


def __getattr__(name: str) -> object:
    if name == "hookimpl":  # lazily: `import cadenza` must not import pluggy
        from cadenza.plugins.markers import hookimpl

        return hookimpl
    if name == "get_client":  # lazily: httpx loads only when a client is asked for
        from cadenza.client import get_client

        return get_client
    raise AttributeError(f"module 'cadenza' has no attribute {name!r}")
