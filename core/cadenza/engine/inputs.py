"""Task inputs: find the futures a call depends on, and replace them by their results.

Futures and states may appear anywhere in a call's arguments, inside lists, tuples, sets and
dict values. `allow_failure(x)` lets a failed upstream through (its exception becomes the value);
`quote(x)` passes `x` untouched; `unmapped(x)` is `x` outside `map`.
"""

from __future__ import annotations

from typing import Any

from cadenza.annotations import BaseAnnotation, allow_failure, quote
from cadenza.futures import CadenzaFuture
from cadenza.states import State, StateType

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
        if not isinstance(value, quote):
            collect_futures(value.value, found)
    elif isinstance(value, dict):
        for item in value.values():
            collect_futures(item, found)
    elif isinstance(value, _CONTAINERS):
        for item in value:
            collect_futures(item, found)
    return found


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
            return state.result(raise_on_failure=False)
        raise UpstreamFailure(state, name)
    return state.result()


def resolve_call(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Resolve a direct call's arguments, waiting for any futures first."""
    for future in collect_futures([args, kwargs]):
        future.wait()
    return tuple(resolve(list(args))), resolve(kwargs)


__all__ = ["UpstreamFailure", "collect_futures", "needs_resolution", "resolve", "resolve_call"]
