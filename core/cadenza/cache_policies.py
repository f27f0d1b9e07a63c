"""Cache policies: how a task call's cache key is computed (Prefect 3's names and algebra).

A task caches only when asked: ``@task(cache_policy=INPUTS + TASK_SOURCE)`` or
``@task(cache_key_fn=...)``. A policy's `compute_key` returns a string, or None for "this policy
has nothing to say" (`INPUTS` of a call without arguments, `FLOW_PARAMETERS` outside a flow).

The algebra, as in Prefect 3:

- ``A + B`` is a compound policy; order does not matter, and its key is the digest of its parts'
  keys, the parts that return None left out (None when all of them do).
- ``NO_CACHE + X`` and ``X + NO_CACHE`` are ``X``: adding "no cache" adds nothing.
- ``INPUTS - "debug"`` leaves the parameter out of the key; ``- "a" - "b"`` chains; subtracting
  from a compound applies to its `Inputs` part, and from any other policy changes nothing.
- ``policy.configure(key_storage=, isolation_level=, lock_manager=)`` is a configured copy: where
  the cache records live, whether concurrent runs of one key wait for each other
  (``"SERIALIZABLE"``), and which lock manager makes them wait.
"""

from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from cadenza.context import TaskRunContext

ISOLATION_LEVELS = ("READ_COMMITTED", "SERIALIZABLE")


def isolation_name(level: Any) -> str | None:
    """The name of an isolation level given as a string or an `IsolationLevel` member."""
    if level is None:
        return None
    name = getattr(level, "value", level)
    if not isinstance(name, str) or name.upper() not in ISOLATION_LEVELS:
        raise ValueError(
            f"isolation_level must be one of {', '.join(ISOLATION_LEVELS)} "
            f"(or a cadenza.transactions.IsolationLevel), got {level!r}"
        )
    return name.upper()


class CachePolicy:
    """Base class. Subclasses implement `compute_key`."""

    key_storage: Any = None  # class defaults too, for subclasses that skip __init__
    isolation_level: Any = None
    lock_manager: Any = None

    def __init__(
        self, key_storage: Any = None, isolation_level: Any = None, lock_manager: Any = None
    ) -> None:
        self.key_storage = key_storage
        self.isolation_level = isolation_level
        self.lock_manager = lock_manager

    @classmethod
    def from_cache_key_fn(
        cls, cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], object]
    ) -> CacheKeyFnPolicy:
        """A policy whose key is ``cache_key_fn(task_run_context, arguments)``."""
        return CacheKeyFnPolicy(cache_key_fn)

    def configure(
        self, key_storage: Any = None, lock_manager: Any = None, isolation_level: Any = None
    ) -> CachePolicy:
        """A copy with these settings changed (None keeps the current one).

        `key_storage`: a directory path or a storage block where this policy's cache records are
        kept (instead of the run record). `isolation_level`: ``"SERIALIZABLE"`` makes concurrent
        runs with the same key wait for each other, so the key's work is done once.
        `lock_manager`: the lock manager that makes them wait (default: one per process).
        """
        isolation_name(isolation_level)
        if lock_manager is not None and not callable(getattr(lock_manager, "acquire_lock", None)):
            raise TypeError(
                f"lock_manager must have acquire_lock/release_lock methods, got {lock_manager!r}"
            )
        new = copy.copy(self)
        if key_storage is not None:
            new.key_storage = key_storage
        if lock_manager is not None:
            new.lock_manager = lock_manager
        if isolation_level is not None:
            new.isolation_level = isolation_level
        return new

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        raise NotImplementedError

    def _parts(self) -> tuple[CachePolicy, ...]:
        return (self,)

    def _settings(self) -> tuple[Any, Any, Any]:
        return (self.key_storage, self.isolation_level, self.lock_manager)

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        if isinstance(other, _NoCache):
            return self
        settings = []
        for name, mine, theirs in zip(
            ("storage locations", "isolation levels", "lock implementations"),
            self._settings(),
            other._settings(),
            strict=True,
        ):
            if mine is not None and theirs is not None and mine != theirs:
                raise ValueError(f"Cannot add CachePolicies with different {name}.")
            settings.append(mine if mine is not None else theirs)
        return CompoundCachePolicy(self._parts() + other._parts(), *settings)

    def __sub__(self, other: str) -> CachePolicy:
        """Leave the parameter `other` out of the key (only `Inputs` has parameters)."""
        if not isinstance(other, str):
            raise TypeError("Can only subtract strings from key policies.")
        return self

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CachePolicy)
            and type(self) is type(other)
            and vars(self) == vars(other)
        )

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __repr__(self) -> str:
        return _with_settings(self, type(self).__name__)


class CompoundCachePolicy(CachePolicy):
    """Several policies at once; order does not matter, and `Inputs` parts merge into one."""

    def __init__(
        self,
        policies: Any = (),
        key_storage: Any = None,
        isolation_level: Any = None,
        lock_manager: Any = None,
    ) -> None:
        super().__init__(key_storage, isolation_level, lock_manager)
        flat: list[CachePolicy] = []
        excludes: set[str] | None = None
        for policy in policies:
            for part in policy._parts():
                if isinstance(part, Inputs):
                    excludes = (excludes or set()) | set(part.exclude)
                elif part not in flat:
                    flat.append(part)
        if excludes is not None:
            flat.append(Inputs(exclude=sorted(excludes)))
        self.policies = tuple(flat)

    def _parts(self) -> tuple[CachePolicy, ...]:
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
            if key is not None:
                keys.append(key)
        return _digest(sorted(keys)) if keys else None

    def __sub__(self, other: str) -> CachePolicy:
        if not isinstance(other, str):
            raise TypeError("Can only subtract strings from key policies.")
        if not any(isinstance(p, Inputs) for p in self.policies):
            return self  # the key does not depend on the inputs
        parts = [p - other if isinstance(p, Inputs) else p for p in self.policies]
        return CompoundCachePolicy(parts, *self._settings())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CompoundCachePolicy)
            and set(self.policies) == set(other.policies)
            and len(self.policies) == len(other.policies)
            and self._settings() == other._settings()
        )

    def __hash__(self) -> int:
        return hash(frozenset(self.policies))

    def __repr__(self) -> str:
        return _with_settings(self, " + ".join(sorted(repr(p) for p in self.policies)))


class _NoCache(CachePolicy):
    """Never cache. Adding it to another policy changes nothing (``NO_CACHE + X`` is ``X``)."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return None

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        return other

    def __repr__(self) -> str:
        return "NO_CACHE"


class Inputs(CachePolicy):
    """The call's arguments (all but those named in `exclude`); None for a call without any."""

    def __init__(
        self,
        exclude: list[str] | tuple[str, ...] | str = (),
        key_storage: Any = None,
        isolation_level: Any = None,
        lock_manager: Any = None,
    ) -> None:
        super().__init__(key_storage, isolation_level, lock_manager)
        if isinstance(exclude, str):
            exclude = [exclude]
        self.exclude = list(exclude)

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        if not inputs:
            return None
        kept = {k: v for k, v in inputs.items() if k not in self.exclude}
        return hash_objects(kept)

    def __sub__(self, other: str) -> CachePolicy:
        if not isinstance(other, str):
            raise TypeError("Can only subtract strings from key policies.")
        new = copy.copy(self)
        new.exclude = [*self.exclude, other]
        return new

    def __hash__(self) -> int:
        return hash(("Inputs", tuple(sorted(self.exclude))))

    def __repr__(self) -> str:
        text = f"Inputs(exclude={self.exclude})" if self.exclude else "INPUTS"
        return _with_settings(self, text)


class TaskSource(CachePolicy):
    """The task function's source code: editing the function invalidates its cache."""

    def compute_key(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        if task_ctx is None:
            return None
        fn = task_ctx.task.fn
        try:
            import inspect

            source = inspect.getsource(fn)
        except (OSError, TypeError):
            code = getattr(fn, "__code__", None)
            source = repr(code.co_code if code is not None else fn)
        return _digest([source])

    def __repr__(self) -> str:
        return _with_settings(self, "TASK_SOURCE")


class FlowParameters(CachePolicy):
    """The parameters of the flow run the task runs in; None without any."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        if not flow_parameters:
            return None
        return hash_objects(flow_parameters)

    def __repr__(self) -> str:
        return _with_settings(self, "FLOW_PARAMETERS")


class RunId(CachePolicy):
    """The flow run's id (the task run's outside a flow): a cache that lasts one flow run."""

    def compute_key(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        if task_ctx is None:
            return None
        run_id = task_ctx.task_run.flow_run_id or task_ctx.task_run.id
        return _digest([run_id])

    def __repr__(self) -> str:
        return _with_settings(self, "RUN_ID")


class CacheKeyFnPolicy(CachePolicy):
    """A user function ``cache_key_fn(task_run_context, arguments) -> str | None``."""

    def __init__(
        self,
        cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], object] | None = None,
        key_storage: Any = None,
        isolation_level: Any = None,
        lock_manager: Any = None,
    ) -> None:
        super().__init__(key_storage, isolation_level, lock_manager)
        self.cache_key_fn = cache_key_fn

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        if self.cache_key_fn is None:
            return None
        key = self.cache_key_fn(task_ctx, inputs)
        return None if key is None else str(key)

    def __hash__(self) -> int:
        return hash(("CacheKeyFnPolicy", self.cache_key_fn))

    def __repr__(self) -> str:
        name = getattr(self.cache_key_fn, "__name__", self.cache_key_fn)
        return _with_settings(self, f"CacheKeyFnPolicy({name})")


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


def _with_settings(policy: CachePolicy, text: str) -> str:
    settings = [
        f"{name}={value!r}"
        for name, value in zip(
            ("key_storage", "isolation_level", "lock_manager"), policy._settings(), strict=True
        )
        if value is not None
    ]
    return f"{text}.configure({', '.join(settings)})" if settings else text


_None = _NoCache  # Prefect's class name for it
NO_CACHE = _NoCache()
NONE = _NoCache()  # Prefect's other name for it
INPUTS = Inputs()
TASK_SOURCE = TaskSource()
FLOW_PARAMETERS = FlowParameters()
RUN_ID = RunId()
DEFAULT = INPUTS + TASK_SOURCE + RUN_ID

__all__ = [
    "DEFAULT",
    "FLOW_PARAMETERS",
    "INPUTS",
    "NONE",
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
