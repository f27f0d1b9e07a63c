"""Where observers plug into the record: four slots, empty until the plugin system fills them.

The record's lower layers (the one transition function in `cadenza.orchestration`, the recording
backend, the flow engine) must tell plugins what happened without importing the plugin system above
them. They call through these slots instead; `cadenza.plugins._observers` sets ``on_state``,
``on_log`` and ``trace_context`` while a loaded plugin implements the matching hook, and the
composition root (`cadenza/__init__.py`) sets ``loader``. Empty slots cost one attribute read.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from cadenza.states import State

on_state: Callable[[Any, State[Any] | None, State[Any]], None] | None = None
"""Called as ``on_state(run, old_state, new_state)`` after each accepted transition (see
`cadenza.orchestration.transitions.accept`)."""

on_log: Callable[[str | None, str | None, int, str, str, float], None] | None = None
"""Called as ``on_log(flow_run_id, task_run_id, level, logger, message, timestamp)`` for each
run log line a recorder queues."""

trace_context: Callable[[str], dict[str, str] | None] | None = None
"""Called as ``trace_context(run_id)`` when work of that run continues in another process (a
task run packed for a worker, a flow run created by ``run_deployment``): the W3C trace context
to send along, or None (the ``run_trace_context`` hook)."""

loader: Callable[[], None] | None = None
"""Loads the plugins that observe runs, if any are installed; called once, at the first flow
run of the process (`prepare`)."""


def prepare() -> None:
    """Run `loader` once (later calls cost one read). A loader that raises is logged on the
    ``cadenza.plugins`` logger: a broken plugin setup must not stop flows from running."""
    global loader
    load, loader = loader, None
    if load is None:
        return
    try:
        load()
    except Exception as exc:
        import logging  # lazily: the standard logging module is not on `import cadenza`'s path

        logging.getLogger("cadenza.plugins").warning("Plugins could not be loaded: %s", exc)


__all__ = ["loader", "on_log", "on_state", "prepare", "trace_context"]
