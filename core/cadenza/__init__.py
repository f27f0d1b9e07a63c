"""Cadenza: Python-native workflow orchestration and observability.

``from cadenza import flow, task`` imports only the standard library pieces the engine needs;
settings, pydantic, SQLite and the CLI load on first use.
"""

from cadenza.annotations import allow_failure, quote, unmapped
from cadenza.flows import Flow, flow
from cadenza.logging import get_run_logger
from cadenza.states import State, StateType
from cadenza.tasks import Task, task

__version__ = "0.1.0"

__all__ = [
    "Flow",
    "State",
    "StateType",
    "Task",
    "__version__",
    "allow_failure",
    "flow",
    "get_run_logger",
    "quote",
    "task",
    "unmapped",
]
