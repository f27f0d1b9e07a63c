"""Human-readable (rich) rendering of the dicts returned by `cadenza.store.queries`.

All user-supplied strings are wrapped in `Text` so that brackets in names, messages and logs are
never interpreted as rich markup.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cadenza.cli.formatting import Column, duration, fit_table, local_time, log_line
from cadenza.cli.ids import short_ids

STATE_STYLES = {
    "COMPLETED": "green",
    "FAILED": "red",
    "CRASHED": "bold red",
    "RUNNING": "blue",
    "PENDING": "yellow",
    "SCHEDULED": "yellow",
    "PAUSED": "magenta",
    "CANCELLING": "dim",
    "CANCELLED": "dim",
}
HEAD_ROWS = 10  # task runs shown at each end of a long table
MAX_LOG_LINES = 200  # log lines shown by `runs show`; `runs logs` prints all


def state_text(state: dict[str, Any]) -> Text:
    label = state.get("name") or state.get("type") or "-"
    return Text(label, style=STATE_STYLES.get(state.get("type") or "", ""))


RUN_COLUMNS = (
    Column("ID", min_width=36),
    Column("NAME", min_width=10),
    Column("FLOW", min_width=8),
    Column("STATE", min_width=9),
    Column("START", priority=2, min_width=19),
    Column("DURATION", priority=1, min_width=8, justify="right"),
)


def flow_runs_table(
    runs: list[dict[str, Any]], title: str | None = None, width: int | None = None
) -> Table:
    """Flow runs (`runs ls --json` elements) as a table at most `width` cells wide."""
    ids = short_ids(run["id"] for run in runs)
    rows = [
        (
            ids[run["id"]],
            Text(run["name"]),
            Text(run["flow_name"]),
            state_text(run["state"]),
            local_time(run["start_time"] or run["created"], millis=False),
            duration(run["duration_seconds"]),
        )
        for run in runs
    ]
    return fit_table(RUN_COLUMNS, rows, width=width, title=title)


TASK_COLUMNS = (
    Column("ID", min_width=36),
    Column("NAME", min_width=10),
    Column("STATE", min_width=9),
    Column("START", priority=2, min_width=19),
    Column("DURATION", priority=1, min_width=8, justify="right"),
    Column("RUNS", priority=3, min_width=4, justify="right"),
)


def _task_runs_table(task_runs: list[dict[str, Any]], width: int | None) -> Table:
    count = len(task_runs)
    shown: list[dict[str, Any] | None] = list(task_runs)
    if count > 2 * HEAD_ROWS:
        shown = [*task_runs[:HEAD_ROWS], None, *task_runs[-HEAD_ROWS:]]
    ids = short_ids(task["id"] for task in shown if task is not None)
    rows: list[tuple[Any, ...]] = []
    for task in shown:
        if task is None:
            hidden = count - 2 * HEAD_ROWS
            rows.append(("...", Text(f"{hidden} more (see --json)", style="dim"), "", "", "", ""))
            continue
        rows.append((
            ids[task["id"]],
            Text(task["name"]),
            state_text(task["state"]),
            local_time(task["start_time"], millis=False),
            duration(task["duration_seconds"]),
            str(task["run_count"]),
        ))  # fmt: skip
    title = f"{count} task run{'s' if count != 1 else ''}"
    return fit_table(TASK_COLUMNS, rows, width=width, title=title)


STATE_COLUMNS = (
    Column("TIME", min_width=23),
    Column("RUN", min_width=10),
    Column("STATE", min_width=9),
    Column("MESSAGE", priority=1, min_width=12, no_wrap=False, overflow="fold"),
)


def _states_table(run: dict[str, Any], width: int | None) -> Table:
    """Every transition in time order: the flow run's, and its task runs' unless there are many
    (then only the flow run's; the JSON form always has all)."""
    rows = [(state, run["name"]) for state in run["states"]]
    task_runs = run["task_runs"]
    if len(task_runs) <= 2 * HEAD_ROWS:
        rows += [(state, task["name"]) for task in task_runs for state in task["states"]]
    rows.sort(key=lambda row: row[0]["timestamp"])  # ISO 8601 UTC strings sort as times
    cells = [
        (local_time(state["timestamp"]), Text(name), state_text(state),
         Text(state["message"] or ""))
        for state, name in rows
    ]  # fmt: skip
    return fit_table(STATE_COLUMNS, cells, width=width, title="State transitions")


def _header(run: dict[str, Any]) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    message = run["state"]["message"]
    state = state_text(run["state"])
    if message:
        state.append(f"  {message}", style="")
    rows = [
        ("ID", Text(run["id"])),
        (
            "Flow",
            Text(run["flow_name"] + (f" ({run['flow_version']})" if run["flow_version"] else "")),
        ),
        ("State", state),
        ("Created", local_time(run["created"])),
        ("Started", local_time(run["start_time"])),
        ("Ended", local_time(run["end_time"])),
        ("Duration", duration(run["duration_seconds"])),
        ("Run count", str(run["run_count"])),
        ("Parameters", Text(json.dumps(run["parameters"], default=str))),
    ]
    if run["tags"]:
        rows.append(("Tags", Text(", ".join(map(str, run["tags"])))))
    if run["parent_flow_run_id"]:
        rows.append(("Parent run", Text(run["parent_flow_run_id"])))
    if run["result_ref"]:
        rows.append(("Result", Text(run["result_ref"])))
    for label, value in rows:
        grid.add_row(label, value)
    return Panel(grid, title=Text(f"Flow run {run['name']}"), expand=False)


def print_flow_run(console: Console, run: dict[str, Any], width: int | None) -> None:
    """Render the dict from `get_flow_run`: header, task runs, transitions, subflows, logs;
    tables at most `width` cells wide (None: in full)."""
    console.print(_header(run))
    parts: list[Any] = []
    if run["task_runs"]:
        parts.append(_task_runs_table(run["task_runs"], width))
    else:
        parts.append(Text("No task runs.", style="dim"))
    parts.append(_states_table(run, width))
    if run["subflow_runs"]:
        parts.append(flow_runs_table(run["subflow_runs"], title="Subflow runs", width=width))
    console.print(Group(*parts))
    logs = run["logs"]
    console.print(Text(f"Logs ({len(logs)})", style="bold"))
    if len(logs) > MAX_LOG_LINES:
        console.print(
            Text(f"... {len(logs) - MAX_LOG_LINES} earlier lines; see `cadenza runs logs`", "dim")
        )
        logs = logs[-MAX_LOG_LINES:]
    for log in logs:
        console.print(Text(log_line(log, run["id"])))


__all__ = [
    "HEAD_ROWS",
    "MAX_LOG_LINES",
    "RUN_COLUMNS",
    "STATE_STYLES",
    "flow_runs_table",
    "print_flow_run",
    "state_text",
]
