"""Live progress of a run on a terminal: task runs done, failed and running per task name.

`RunProgress` implements the observer hooks ``on_flow_run_state`` and ``on_task_run_state``
(which every accepted transition reaches through `cadenza.observers`) and is registered as a
plugin with the process's plugin manager only while the display shows; without it the engine's
observer slot stays as it was, so a run without progress pays nothing for it. Counting is a few
integer updates per transition; rich redraws the table from those counts a few times a second
on its own thread, and the log lines printed meanwhile scroll above it (stdout and stderr are
redirected through it).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Task names shown at most; the others are summed in one row.
MAX_ROWS = 12
_TERMINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


class RunProgress:
    """Counts of task runs per task name, and the top-level flow run's name and state."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        # task name -> [done, failed, running]
        self.tasks: dict[str, list[int]] = {}
        self.flow: str | None = None
        self.flow_state: str | None = None

    def on_flow_run_state(self, flow_run: Any, old_state: Any, new_state: Any) -> None:
        if flow_run.parent_flow_run_id is None:
            self.flow = f"{flow_run.flow_name} ({flow_run.name})"
            self.flow_state = new_state.name

    def on_task_run_state(self, task_run: Any, old_state: Any, new_state: Any) -> None:
        counts = self.tasks.get(task_run.task_name)
        if counts is None:
            counts = self.tasks[task_run.task_name] = [0, 0, 0]
        new = new_state.type.value
        was_running = old_state is not None and old_state.type.value == "RUNNING"
        if new == "RUNNING":
            if not was_running:
                counts[2] += 1
            return
        if was_running:
            counts[2] -= 1
        if new == "COMPLETED":
            counts[0] += 1
        elif new in _TERMINAL:
            counts[1] += 1

    def render(self) -> Any:
        """The table rich shows: one row per task name (the busiest first), and a total."""
        # lazily: rich loads only when progress shows
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        elapsed = time.monotonic() - self.started
        title = f"{self.flow or 'flow run'}: {self.flow_state or 'starting'} · {elapsed:,.1f} s"
        table = Table(box=None, pad_edge=False)
        table.add_column("task")
        table.add_column("done", justify="right", style="green")
        table.add_column("failed", justify="right", style="red")
        table.add_column("running", justify="right", style="cyan")
        items = sorted(self.tasks.items(), key=lambda kv: (-kv[1][2], -sum(kv[1]), kv[0]))
        total = [0, 0, 0]
        for i, (name, counts) in enumerate(items):
            done, failed, running = counts
            total[0] += done
            total[1] += failed
            total[2] += running
            if i < MAX_ROWS:
                table.add_row(name, f"{done:,}", f"{failed:,}", f"{running:,}")
        if len(items) > MAX_ROWS:
            table.add_row(f"… {len(items) - MAX_ROWS} more", "", "", "")
        if len(items) > 1:
            table.add_row("all", *(f"{n:,}" for n in total), style="bold")
        return Group(Text(title, style="italic"), table)


def wanted(no_progress: bool) -> bool:
    """Whether to show progress: asked for, the setting on, stdout and stderr terminals."""
    if no_progress:
        return False
    # lazily: settings load when a command runs
    from cadenza.settings import spec

    if not spec.get("CADENZA_CLI_PROGRESS"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def shown(enabled: bool) -> Iterator[RunProgress | None]:
    """Show live progress inside the block when `enabled`; yields the `RunProgress` (or None)."""
    if not enabled:
        yield None
        return
    # lazily: rich and the plugin manager load only when progress shows
    from rich.console import Console
    from rich.live import Live

    from cadenza.plugins import _observers
    from cadenza.plugins.manager import get_plugin_manager

    progress = RunProgress()
    plugin = _as_plugin(progress)
    pm = get_plugin_manager()
    pm.add_plugin(plugin, "cadenza-progress", distribution="cadenza")
    live = Live(
        console=Console(file=sys.stderr),
        get_renderable=progress.render,
        refresh_per_second=4,
        transient=False,  # the last counts stay on screen as a summary
        redirect_stdout=True,
        redirect_stderr=True,
    )
    try:
        with live:
            yield progress
    finally:
        pm.unregister(plugin)
        _observers.refresh(pm)


def _as_plugin(progress: RunProgress) -> Any:
    """`progress`'s observer methods as a plugin's hook implementations (pluggy, the markers'
    library, loads here: only when progress shows)."""
    from types import SimpleNamespace

    # lazily: the markers import pluggy, loaded only when progress shows
    from cadenza.plugins.markers import hookimpl

    def on_flow_run_state(flow_run: Any, old_state: Any, new_state: Any) -> None:
        progress.on_flow_run_state(flow_run, old_state, new_state)

    def on_task_run_state(task_run: Any, old_state: Any, new_state: Any) -> None:
        progress.on_task_run_state(task_run, old_state, new_state)

    return SimpleNamespace(
        on_flow_run_state=hookimpl(on_flow_run_state),
        on_task_run_state=hookimpl(on_task_run_state),
    )


__all__ = ["MAX_ROWS", "RunProgress", "shown", "wanted"]
