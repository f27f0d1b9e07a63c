"""Cache policies: how a task call's cache key is computed (Prefect 3's names).

A task caches only when asked: ``@task(cache_policy=INPUTS + TASK_SOURCE)`` or
``@task(cache_key_fn=...)``. A policy's `compute_key` returns a string, or None for "do not
cache this call". Policies compose with ``+`` in any order: the key of a compound policy is the
hash of its parts' keys, and None if any part returns None.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from cadenza.context import TaskRunContext


class CachePolicy:
    """Base class. Subclasses implement `compute_key`."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        raise NotImplementedError

    def _parts(self) -> frozenset[CachePolicy]:
        return frozenset({self})

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        return CompoundCachePolicy(self._parts() | other._parts())

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(vars(self).items()))))

    def __repr__(self) -> str:
        return type(self).__name__


class CompoundCachePolicy(CachePolicy):
    """Several policies at once; order does not matter."""

    def __init__(self, policies: frozenset[CachePolicy]) -> None:
        self.policies = frozenset(policies)

    def _parts(self) -> frozenset[CachePolicy]:
        return self.policies

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        keys = []
        for policy in self.policies:
            key = policy.compute_key(task_ctx, inputs, flow_parameters, **kwargs)
            if key is None:
                return None
            keys.append(key)
        return _digest(sorted(keys))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompoundCachePolicy) and self.policies == other.policies

    def __hash__(self) -> int:
        return hash(self.policies)

    def __repr__(self) -> str:
        return " + ".join(sorted(repr(p) for p in self.policies))


class _NoCache(CachePolicy):
    """Never cache."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return None

    def __add__(self, other: CachePolicy) -> CachePolicy:
        return self

    def __radd__(self, other: CachePolicy) -> CachePolicy:
        return self

    def __repr__(self) -> str:
        return "NO_CACHE"


class Inputs(CachePolicy):
    """The call's arguments (all but those named in `exclude`)."""

    def __init__(self, exclude: list[str] | tuple[str, ...] = ()) -> None:
        self.exclude = tuple(exclude)

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        kept = {k: v for k, v in inputs.items() if k not in self.exclude}
        return hash_objects(kept)

    def __repr__(self) -> str:
        return f"Inputs(exclude={list(self.exclude)})" if self.exclude else "INPUTS"


class TaskSource(CachePolicy):
    """The task function's source code: editing the function invalidates its cache."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        fn = task_ctx.task.fn
        try:
            import inspect

            source = inspect.getsource(fn)
        except (OSError, TypeError):
            code = getattr(fn, "__code__", None)
            source = repr(code.co_code if code is not None else fn)
        return _digest([source])

    def __repr__(self) -> str:
        return "TASK_SOURCE"


class FlowParameters(CachePolicy):
    """The parameters of the flow run the task runs in."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return hash_objects(flow_parameters)

    def __repr__(self) -> str:
        return "FLOW_PARAMETERS"


class RunId(CachePolicy):
    """The flow run's id: a cache that lasts one flow run."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        run_id = task_ctx.task_run.flow_run_id or task_ctx.task_run.id
        return _digest([run_id])

    def __repr__(self) -> str:
        return "RUN_ID"


class CacheKeyFnPolicy(CachePolicy):
    """A user function ``cache_key_fn(task_run_context, arguments) -> str | None``."""

    def __init__(self, cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], object]) -> None:
        self.cache_key_fn = cache_key_fn

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        key = self.cache_key_fn(task_ctx, inputs)
        return None if key is None else str(key)

    def __repr__(self) -> str:
        return f"CacheKeyFnPolicy({getattr(self.cache_key_fn, '__name__', self.cache_key_fn)})"


class UnhashableInputs(TypeError):
    """Inputs that cannot be serialized for hashing: the call is not cached."""


def hash_objects(value: Any) -> str:
    """A stable digest of `value`: JSON when possible, else cloudpickle; raises
    `UnhashableInputs` when neither can serialize it."""
    import json

    try:
        payload = json.dumps(value, sort_keys=True, default=_reject).encode()
    except (TypeError, ValueError):
        try:
            import cloudpickle

            payload = cloudpickle.dumps(value)
        except Exception as exc:
            raise UnhashableInputs(f"{type(exc).__name__}: {exc}") from None
    return hashlib.sha256(payload).hexdigest()


def _reject(value: Any) -> Any:
    raise TypeError(f"not JSON: {type(value).__name__}")


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


NO_CACHE = _NoCache()
INPUTS = Inputs()
TASK_SOURCE = TaskSource()
FLOW_PARAMETERS = FlowParameters()
RUN_ID = RunId()
DEFAULT = INPUTS + TASK_SOURCE + RUN_ID

__all__ = [
    "DEFAULT",
    "FLOW_PARAMETERS",
    "INPUTS",
    "NO_CACHE",
    "RUN_ID",
    "TASK_SOURCE",
    "CacheKeyFnPolicy",
    "CachePolicy",
    "CompoundCachePolicy",
    "FlowParameters",
    "Inputs",
    "RunId",
    "TaskSource",
]
