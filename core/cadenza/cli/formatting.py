"""Formatting shared by the CLI's human output: times, durations, log lines, and the one table
builder every listing uses (`Column`, `fit_table`, `print_table`), which fits a table to the
terminal by truncating cells with an ellipsis and dropping the least important columns."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

COLUMN_GAP = 2  # cells between two columns of a table (a blank separator and one of padding)


def short_id(run_id: str | None) -> str:
    """The last 8 characters of a run id (its random part; ids are time-ordered UUIDs, so their
    first characters are shared by runs created close together). Accepted back as RUN_ID."""
    return (run_id or "")[-8:]


def local_time(iso: str | None, *, millis: bool = True) -> str:
    """An ISO timestamp as local wall-clock time (with milliseconds unless `millis` is false)."""
    if not iso:
        return "-"
    text = datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")
    return text[:-3] if millis else text[:-7]


def duration(seconds: float | None) -> str:
    """``1.25s`` under a minute, else ``3m 4s`` / ``1h 2m 3s``; '-' when unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"


def log_line(log: dict[str, Any], flow_run_id: str) -> str:
    """``time | LEVEL | logger/run - message``: the line format of ``cadenza runs logs``.

    `run` is the short id of the task run that logged, or of the flow run itself.
    """
    run = short_id(log["task_run_id"] or flow_run_id)
    return (
        f"{local_time(log['timestamp'])} | {log['level_name']:<8} | "
        f"{log['logger']}/{run} - {log['message']}"
    )


@dataclass(frozen=True)
class Column:
    """One column of a listing.

    `priority` 0 is always shown; when the terminal is too narrow the column with the highest
    priority number is dropped first (ties: the rightmost). A shown column is never narrower
    than `min_width` (or its widest cell, if narrower: a column of ids gets a `min_width` of
    36, so that an id is never cut); its cells are cut to fit with an ellipsis (`overflow`),
    or wrapped when `no_wrap` is false.
    """

    header: str
    priority: int = 0
    min_width: int = 8
    no_wrap: bool = True
    overflow: Literal["ellipsis", "fold", "crop"] = "ellipsis"
    justify: Literal["left", "right", "center"] = "left"
    style: str | None = None


def output_width() -> int | None:
    """The width tables are fitted to: ``COLUMNS`` when set, else the terminal's width, else
    None (output to a pipe or file: rows are printed in full for grep and friends)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _cell_width(cell: Any) -> int:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _allot(natural: list[int], minimum: list[int], levels: list[int], room: int) -> list[int]:
    """Widths between `minimum` and `natural` summing to at most `room`. The spare room goes
    to the most important columns first (lowest level), shared evenly within a level."""
    widths = list(minimum)
    spare = room - sum(widths)
    for level in sorted(set(levels)):
        wanting = [i for i, w in enumerate(widths) if levels[i] == level and natural[i] > w]
        while spare > 0 and wanting:
            share = max(spare // len(wanting), 1)
            for i in list(wanting):
                grant = min(share, natural[i] - widths[i], spare)
                widths[i] += grant
                spare -= grant
                if widths[i] >= natural[i]:
                    wanting.remove(i)
                if spare == 0:
                    break
    while spare < 0 and max(widths, default=0) > 1:  # even the minimums do not fit: cut the
        widest = widths.index(max(widths))  # widest columns down
        widths[widest] -= 1
        spare += 1
    return widths


def fit_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    width: int | None,
    title: str | None = None,
) -> Table:
    """A rich table of `rows` under `columns`, at most `width` cells wide (None: every column
    in full, as ``--wide``). Cells are strings or rich `Text` (user strings must be `Text`, so
    that brackets are never read as markup)."""
    shown = list(range(len(columns)))
    natural = [
        max([cell_len(c.header), *(_cell_width(row[i]) for row in rows)])
        for i, c in enumerate(columns)
    ]
    minimum = [min(natural[i], max(columns[i].min_width, 1)) for i in range(len(columns))]

    def needed(indexes: list[int]) -> int:
        return sum(minimum[i] for i in indexes) + COLUMN_GAP * (len(indexes) - 1)

    widths = natural
    if width is not None:
        while needed(shown) > width:
            droppable = [i for i in shown if columns[i].priority > 0]
            if not droppable:
                break
            shown.remove(max(reversed(droppable), key=lambda i: columns[i].priority))
        room = width - COLUMN_GAP * (len(shown) - 1)
        fitted = _allot([natural[i] for i in shown], [minimum[i] for i in shown],
                        [columns[i].priority for i in shown], room)  # fmt: skip
        widths = [0] * len(columns)
        for i, w in zip(shown, fitted, strict=True):
            widths[i] = w
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
        padding=(0, 0, 0, 1), title_justify="left",
    )  # fmt: skip
    for i in shown:
        c = columns[i]
        table.add_column(
            c.header, width=max(widths[i], 1), no_wrap=c.no_wrap, overflow=c.overflow,
            justify=c.justify, style=c.style,
        )  # fmt: skip
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table


def table_width(table: Table) -> int:
    """The cells `table` (from `fit_table`) needs per line."""
    widths = [c.width or 0 for c in table.columns]
    return sum(widths) + COLUMN_GAP * (len(widths) - 1)


def console(width: int | None) -> Console:
    """A console that prints lines of up to `width` cells (None: any length)."""
    return Console(
        width=width if width is not None else 10_000, soft_wrap=width is None, highlight=False
    )


def print_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    wide: bool = False,
    title: str | None = None,
) -> None:
    """Print `rows` as a table that fits the terminal (every column in full when `wide` or
    when printing to a pipe)."""
    width = None if wide else output_width()
    table = fit_table(columns, rows, width=width, title=title)
    console(width).print(table)


__all__ = [
    "Column",
    "console",
    "duration",
    "fit_table",
    "local_time",
    "log_line",
    "output_width",
    "print_table",
    "short_id",
    "table_width",
]
