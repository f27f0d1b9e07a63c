"""Cadenza: Python-native workflow orchestration and observability.

``from cadenza import flow, task`` imports only the standard library pieces the engine needs;
settings, pydantic, SQLite and the CLI load on first use. ``from cadenza import hookimpl`` (the
marker plugins decorate their hook functions with) imports pluggy only when asked for.

This module is also the composition root (docs/architecture.md): the lower layers ask for what
plugins contribute through `cadenza.registries`, tell observers through `cadenza.observers` and
read persisted results through `cadenza.states.result_loader`; what sits above them is plugged
in here.
"""

from cadenza import observers as _observers
from cadenza import registries as _registries
from cadenza import states as _states
from cadenza._version import __version__
from cadenza.annotations import allow_failure, quote, unmapped
from cadenza.client import slots as _client_slots
from cadenza.context import in_async_context as _in_async_context
from cadenza.context import tags
from cadenza.flows import Flow, flow
from cadenza.logging import get_run_logger
from cadenza.states import State, StateType
from cadenza.tasks import Task, task

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:  # type checkers see the names __getattr__ below provides lazily
    from types import ModuleType as _ModuleType

    from cadenza.client.orchestration import get_client as get_client
    from cadenza.deployments.runner import deploy as deploy
    from cadenza.deployments.runner import serve as serve
    from cadenza.flow_runs import apause_flow_run as apause_flow_run
    from cadenza.flow_runs import aresume_flow_run as aresume_flow_run
    from cadenza.flow_runs import asuspend_flow_run as asuspend_flow_run
    from cadenza.flow_runs import pause_flow_run as pause_flow_run
    from cadenza.flow_runs import resume_flow_run as resume_flow_run
    from cadenza.flow_runs import suspend_flow_run as suspend_flow_run
    from cadenza.plugins.markers import hookimpl as hookimpl
    from cadenza.transactions import Transaction as Transaction

__all__ = [
    "Flow",
    "State",
    "StateType",
    "Task",
    "Transaction",
    "__version__",
    "allow_failure",
    "apause_flow_run",
    "aresume_flow_run",
    "asuspend_flow_run",
    "deploy",
    "flow",
    "get_client",
    "get_run_logger",
    "hookimpl",
    "pause_flow_run",
    "quote",
    "resume_flow_run",
    "serve",
    "suspend_flow_run",
    "tags",
    "task",
    "unmapped",
]


def _plugin_contributions(kind: str) -> dict[str, object]:
    # lazily: pluggy and entry-point discovery load at the first lookup, not on `import cadenza`
    from cadenza.plugins import registry

    return registry.values(kind)


def _load_observing_plugins() -> None:
    # lazily: scanning entry points costs milliseconds, paid at the first flow run only
    from cadenza.plugins._quickscan import load_if_observing

    load_if_observing()


def _load_result(ref: str) -> object:
    # lazily: result storage and serializers load at the first persisted result read back
    from cadenza.results import load_result

    return load_result(ref)


def _embedded_module(name: str) -> "_ModuleType":
    # lazily: variables and saved blocks load when the embedded client first reads them
    if name == "variables":  # lazily: see above
        from cadenza import variables

        return variables
    if name == "block_sealing":  # lazily: see above
        from cadenza.blocks import sealing

        return sealing
    raise LookupError(f"no module {name!r} for the embedded client")


_registries.install(_plugin_contributions)
_client_slots.embedded_module = _embedded_module
_states.result_loader = _load_result
_states.async_context = _in_async_context
_observers.loader = _load_observing_plugins


_FLOW_RUN_CONTROL = (
    "pause_flow_run",
    "resume_flow_run",
    "suspend_flow_run",
    "apause_flow_run",
    "aresume_flow_run",
    "asuspend_flow_run",
)


def __getattr__(name: str) -> object:
    if name == "hookimpl":  # lazily: `import cadenza` must not import pluggy
        from cadenza.plugins.markers import hookimpl

        return hookimpl
    if name in ("serve", "deploy"):  # lazily: the deployment machinery loads when used
        from cadenza.deployments import runner

        return getattr(runner, name)
    if name in _FLOW_RUN_CONTROL:
        # lazily: pausing loads the run-input machinery only when it is used
        from cadenza import flow_runs

        return getattr(flow_runs, name)
    if name == "Transaction":  # lazily: transactions load when first used
        from cadenza.transactions import Transaction

        return Transaction
    if name == "get_client":  # lazily: pydantic (and httpx) load when a client is asked for
        from cadenza.client.orchestration import get_client

        return get_client
    raise AttributeError(f"module 'cadenza' has no attribute {name!r}")
