"""The observer hooks' fast path: fills the slots of `cadenza.observers`.

State changes reach observers through ``observers.on_state``, which the one function that applies
every accepted transition calls; log lines through ``observers.on_log``, which recorders call. Both
are None — one attribute read — until a loaded plugin manager that has observer implementations is
installed (see `refresh`, called by `cadenza.plugins.manager`). Nothing here imports pluggy or
creates the plugin manager: in a process that never loads plugins, observers cost that one read.

Each implementation is called on its own, so one that raises is logged on the ``cadenza.plugins``
logger and the others still run. A notification raised while an observer runs in the same thread
(an observer that logs to a run logger) is not delivered, so an observer can never recurse into
itself.
"""

from __future__ import annotations

import threading

from cadenza import observers
from cadenza.plugins.hookspecs import CONTEXT_HOOKS, OBSERVER_HOOKS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

active = False
"""True when some loaded plugin implements an observer hook."""

# hook name -> ((plugin name, function, argument names), ...)
_impls: dict[str, tuple[tuple[str, Any, tuple[str, ...]], ...]] = {}
_busy = threading.local()


def refresh(pm: Any) -> None:
    """Take the observer implementations of `pm` (a loaded plugin manager; None: no plugins)."""
    global active
    impls: dict[str, tuple[tuple[str, Any, tuple[str, ...]], ...]] = {}
    if pm is not None:
        for name in (*OBSERVER_HOOKS, *CONTEXT_HOOKS):
            found = tuple(
                (impl.plugin_name, impl.function, tuple(impl.argnames))
                for impl in getattr(pm.hook, name).get_hookimpls()
                if not (impl.hookwrapper or impl.wrapper)
            )
            if found:
                impls[name] = found
    _impls.clear()
    _impls.update(impls)
    active = any(name in impls for name in OBSERVER_HOOKS)
    # every accepted transition, in every backend, passes through this one slot
    watched = "on_flow_run_state" in impls or "on_task_run_state" in impls
    observers.on_state = state_changed if watched else None
    observers.on_log = logged if "on_log" in impls else None
    observers.trace_context = trace_context if "run_trace_context" in impls else None


def state_changed(run: Any, old_state: Any, new_state: Any) -> None:
    """Tell observers that `run` (a flow or task run) moved from `old_state` to `new_state`."""
    if run.kind == "flow":
        _call("on_flow_run_state", flow_run=run, old_state=old_state, new_state=new_state)
    else:
        _call("on_task_run_state", task_run=run, old_state=old_state, new_state=new_state)


def logged(
    flow_run_id: str | None,
    task_run_id: str | None,
    level: int,
    logger: str,
    message: str,
    timestamp: float,
) -> None:
    """Tell observers that a run log line was recorded."""
    _call(
        "on_log",
        flow_run_id=flow_run_id,
        task_run_id=task_run_id,
        level=level,
        logger=logger,
        message=message,
        timestamp=timestamp,
    )


def trace_context(run_id: str) -> dict[str, str] | None:
    """The first answer of the ``run_trace_context`` implementations for `run_id` (None: none).
    One that raises is logged and skipped."""
    for plugin, function, argnames in _impls.get("run_trace_context", ()):
        try:
            answer = function(*[{"run_id": run_id}[name] for name in argnames])
        except Exception:
            import logging  # lazily: not on `import cadenza`'s path

            logging.getLogger("cadenza.plugins").exception(
                "The run_trace_context hook of plugin %r raised; the work goes without it", plugin
            )
            continue
        if answer is not None:
            return dict(answer)
    return None


def _call(hook: str, **kwargs: Any) -> None:
    impls = _impls.get(hook)
    if not impls or getattr(_busy, "on", False):
        return
    _busy.on = True
    try:
        for plugin, function, argnames in impls:
            try:
                function(*[kwargs[name] for name in argnames])
            except Exception:
                import logging

                logging.getLogger("cadenza.plugins").exception(
                    "The %s hook of plugin %r raised; the run carries on", hook, plugin
                )
    finally:
        _busy.on = False
