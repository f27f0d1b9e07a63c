"""Task inputs: find the futures a call depends on, and replace them by their results.

Futures and states may appear anywhere in a call's arguments, inside lists, tuples, sets and
dict values. `allow_failure(x)` lets a failed upstream through (its exception becomes the value);
`quote(x)` passes `x` untouched; `opaque(x)` resolves `x` only if it is itself a future or a
state, never looking inside it; `unmapped(x)` is `x` outside `map`.
"""

from __future__ import annotations

from typing import Any

from cadenza.annotations import BaseAnnotation, allow_failure, opaque, quote
from cadenza.futures import CadenzaFuture, resolve_futures_to_states
from cadenza.states import State, StateType, sync_result

_FAILED = (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_SCALARS = frozenset({int, float, str, bytes, bool, type(None)})


def collect_futures(value: Any, found: list[CadenzaFuture] | None = None) -> list[CadenzaFuture]:
    """Every future inside `value` (not looking inside `quote`)."""
    found = [] if found is None else found
    if type(value) in _SCALARS:
        return found
    if isinstance(value, CadenzaFuture):
        found.append(value)
    elif isinstance(value, BaseAnnotation):
        if isinstance(value, opaque):
            if isinstance(value.value, CadenzaFuture):
                found.append(value.value)
        elif not isinstance(value, quote):
            collect_futures(value.value, found)
    elif isinstance(value, dict):
        for item in value.values():
            collect_futures(item, found)
    elif isinstance(value, _CONTAINERS):
        for item in value:
            collect_futures(item, found)
    return found


def upstream_ids(value: Any, found: list[str] | None = None) -> list[str]:
    """Ids of the task runs whose futures or states are inside `value` (not inside `quote`),
    each once, in the order met: the edges of the run graph (Prefect's ``task_inputs``)."""
    found = [] if found is None else found
    if type(value) in _SCALARS:
        return found
    run_id: str | None = None
    if isinstance(value, CadenzaFuture):
        run_id = value.task_run_id
    elif isinstance(value, State):
        details = value.raw_details
        run_id = details.task_run_id if details is not None else None
    elif isinstance(value, BaseAnnotation):
        if isinstance(value, opaque):
            if isinstance(value.value, (CadenzaFuture, State)):
                upstream_ids(value.value, found)
        elif not isinstance(value, quote):
            upstream_ids(value.value, found)
    elif isinstance(value, dict):
        for item in value.values():
            upstream_ids(item, found)
    elif isinstance(value, _CONTAINERS):
        for item in value:
            upstream_ids(item, found)
    if run_id is not None and run_id not in found:
        found.append(run_id)
    return found


def task_inputs(parameters: dict[str, Any], wait_for: Any = None) -> dict[str, list[str]] | None:
    """Parameter name -> the upstream task runs it came from, and ``wait_for`` -> the runs
    waited for; None when there are none (the usual call, which then costs one type check per
    argument)."""
    found: dict[str, list[str]] | None = None
    for name, value in parameters.items():
        if type(value) in _SCALARS:
            continue
        ids = upstream_ids(value)
        if ids:
            found = {} if found is None else found
            found[name] = ids
    if wait_for:
        ids = upstream_ids(list(wait_for))
        if ids:
            found = {} if found is None else found
            found["wait_for"] = ids
    return found


def call_inputs(task: Any, args: tuple, kwargs: dict, wait_for: Any) -> dict[str, list[str]] | None:
    """`task_inputs` of a direct call, naming positional arguments by the task's signature only
    when one of them holds an upstream run."""
    if not any(upstream_ids(a) for a in args if type(a) not in _SCALARS):
        return task_inputs(kwargs, wait_for)
    return task_inputs(task.bind(args, kwargs), wait_for)


def needs_resolution(args: tuple, kwargs: dict) -> bool:
    """Cheap check for a direct task call: any future, state or annotation at the top level,
    or a container (which might hold one)."""
    for value in args:
        if isinstance(value, (CadenzaFuture, State, BaseAnnotation, *_CONTAINERS)):
            return True
    for value in kwargs.values():
        if isinstance(value, (CadenzaFuture, State, BaseAnnotation, *_CONTAINERS)):
            return True
    return False


class UpstreamFailure(Exception):
    """Raised inside resolution when an upstream run did not complete."""

    def __init__(self, state: State, name: str | None) -> None:
        self.state = state
        where = f"task run {name!r}" if name else "an upstream run"
        super().__init__(f"Upstream {where} ended {state.name}; not running")


def resolve(value: Any, allow_failed: bool = False) -> Any:
    """`value` with futures and states replaced by results; raises `UpstreamFailure`."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, CadenzaFuture):
        return _state_value(value.state, allow_failed, value.task_run_name)
    if isinstance(value, State):
        return _state_value(value, allow_failed, None)
    if isinstance(value, BaseAnnotation):
        if isinstance(value, quote):
            return value.value
        if isinstance(value, opaque) and not isinstance(value.value, (CadenzaFuture, State)):
            return value.value
        return resolve(value.value, allow_failed or isinstance(value, allow_failure))
    if isinstance(value, dict):
        return {k: resolve(v, allow_failed) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [resolve(v, allow_failed) for v in value]
        if isinstance(value, list):
            return items
        if type(value) in (tuple, set, frozenset):
            return type(value)(items)
        try:  # namedtuples and other subclasses
            return type(value)(*items)
        except TypeError:
            return type(value)(items)
    return value


def _state_value(state: State, allow_failed: bool, name: str | None) -> Any:
    if state.type in _FAILED:
        if allow_failed:
            return sync_result(state, raise_on_failure=False)
        raise UpstreamFailure(state, name)
    return sync_result(state)


def futures_to_states(value: Any) -> Any:
    """`value` (what a flow returned) with each future inside replaced by its final state,
    waiting for it, as Prefect's `resolve_futures_to_states`: containers are rebuilt only when
    they hold a future (a `CadenzaFutureList` becomes a plain list); `quote` is left alone."""
    if type(value) in _SCALARS or not collect_futures(value):
        return value
    return resolve_futures_to_states(value)


def resolve_call(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Resolve a direct call's arguments, waiting for any futures first."""
    for future in collect_futures([args, kwargs]):
        future.wait()
    return tuple(resolve(list(args))), resolve(kwargs)


__all__ = [
    "UpstreamFailure",
    "call_inputs",
    "collect_futures",
    "futures_to_states",
    "needs_resolution",
    "resolve",
    "resolve_call",
    "task_inputs",
    "upstream_ids",
]
