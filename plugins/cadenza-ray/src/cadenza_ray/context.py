"""Ray options for the task runs submitted in a block: ``with remote_options(num_cpus=2): ...``.

Prefect's path, ``prefect_ray.context``: ``remote_options`` and ``RemoteOptionsContext`` keep
their names. The options are what ``@ray.remote(...)`` or ``.options(...)`` take for a Ray task —
``num_cpus``, ``num_gpus``, ``resources``, ``memory``, ``accelerator_type``, ``max_retries``,
``runtime_env``, ``scheduling_strategy``, … — and `RayTaskRunner` applies those in effect when a
run is submitted (``.submit()`` or each run of ``.map()``), even if the run launches later, once
its upstream runs are done.

This module imports nothing heavy (no ray): flows import it at their top.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import Context, ContextVar
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})

_current: ContextVar[Mapping[str, Any]] = ContextVar("cadenza_ray_remote_options", default=_EMPTY)

#: Options the runner sets itself: one return value (the packed outcome) per run.
RESERVED = frozenset({"num_returns"})

_NUMBERS = ("num_cpus", "num_gpus", "memory", "object_store_memory")


def current_remote_options() -> dict[str, Any]:
    """The Ray options in effect here (a copy; empty outside any `remote_options` block)."""
    return dict(_current.get())


def options_in(context: Context) -> Mapping[str, Any]:
    """The Ray options in effect in `context` (a run's submission context): read-only."""
    return context.get(_current, _EMPTY)


def validate(options: Mapping[str, Any]) -> None:
    """Raise `ValueError` (or `TypeError`) naming the option that Ray would refuse.

    Checks the options the runner relies on and the common resource options here, so that a
    typo fails at the ``with`` line rather than when the run launches; Ray checks the rest (an
    unknown name makes the run Crashed with Ray's message naming it)."""
    for name in options:
        if name in RESERVED:
            raise ValueError(
                f"remote_options: {name!r} cannot be set: RayTaskRunner sends each task run back "
                "as one value"
            )
    for name in _NUMBERS:
        if name in options:
            value = options[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"remote_options: {name} must be a number >= 0, got {value!r}")
    if "resources" in options:
        resources = options["resources"]
        if not isinstance(resources, Mapping):
            raise TypeError(
                f"remote_options: resources must be a dict of resource name to amount, "
                f"got {resources!r}"
            )
        for key, amount in resources.items():
            if not isinstance(key, str) or key in ("CPU", "GPU", "memory"):
                raise ValueError(
                    f"remote_options: resources key {key!r} must be a custom resource name "
                    "(use num_cpus, num_gpus or memory for those)"
                )
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
                raise ValueError(
                    f"remote_options: resources[{key!r}] must be a number >= 0, got {amount!r}"
                )


@contextmanager
def remote_options(**new_remote_options: Any) -> Iterator[None]:
    """Ray options for the task runs submitted inside the block, as for ``@ray.remote(...)``.

    Nested blocks merge: an inner option replaces the outer one of the same name, the others
    stay. Runs submitted outside every block get Ray's defaults (one CPU each).

        from cadenza import flow, task
        from cadenza_ray import RayTaskRunner, remote_options

        @task
        def train(x): ...

        @flow(task_runner=RayTaskRunner())
        def main():
            with remote_options(num_cpus=2, num_gpus=1):
                train.submit(1)

    `ValueError` or `TypeError`, naming the option, for an amount that is not a number >= 0, a
    ``resources`` that is not a dict of custom resource names, or ``num_returns``.
    """
    merged = {**_current.get(), **new_remote_options}
    validate(merged)
    token = _current.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _current.reset(token)


class RemoteOptionsContext:
    """Prefect's reading of the options in effect: ``RemoteOptionsContext.get()
    .current_remote_options`` is the dict `remote_options` blocks have set here."""

    __slots__ = ("current_remote_options",)

    def __init__(self, current_remote_options: dict[str, Any] | None = None) -> None:
        self.current_remote_options: dict[str, Any] = dict(current_remote_options or {})

    @classmethod
    def get(cls) -> RemoteOptionsContext:
        """The options in effect (empty outside any `remote_options` block)."""
        return cls(current_remote_options())

    def __repr__(self) -> str:
        return f"RemoteOptionsContext(current_remote_options={self.current_remote_options!r})"


__all__ = ["RemoteOptionsContext", "current_remote_options", "remote_options"]
