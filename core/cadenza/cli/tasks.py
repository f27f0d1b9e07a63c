"""``cadenza tasks``: prebuilt tasks contributed by plugins (the ``register_tasks`` hook)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from cadenza.cli._common import die
from cadenza.cli.docstrings import summary


@click.group()
def tasks() -> None:
    """Prebuilt tasks that installed plugins provide."""


@tasks.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (stable format).")
@click.option("--wide", is_flag=True, help="Show every column in full, however wide.")
def ls(as_json: bool, wide: bool) -> None:
    """List prebuilt tasks: name, plugin, import path (module:attribute) and description (the
    first paragraph of its docstring, as plain text)."""
    import warnings

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.plugins import registry
    from cadenza.plugins.errors import CadenzaPluginWarning, PluginConflictError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CadenzaPluginWarning)  # `cadenza plugins ls` shows them
        try:
            found = registry.registered("tasks")
        except PluginConflictError as exc:
            die(str(exc))
    rows = [
        {
            "name": name,
            "plugin": reg.plugin.name,
            "distribution": reg.plugin.distribution,
            "import_path": import_path(reg.value),
            "description": reg.value.description,
            "summary": summary(reg.value.description),
        }
        for name, reg in sorted(found.items())
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    _print_table(rows, wide)


def import_path(task: Any) -> str:
    """``module:attribute`` under which `task` can be imported (its function's module)."""
    fn = getattr(task, "fn", None)
    module_name = getattr(fn, "__module__", None) or "?"
    module = sys.modules.get(module_name)
    for attr, value in vars(module).items() if module is not None else ():
        if value is task:
            return f"{module_name}:{attr}"
    return f"{module_name}:{getattr(fn, '__qualname__', getattr(task, 'name', '?'))}"


def _print_table(rows: list[dict[str, Any]], wide: bool) -> None:
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    if not rows:
        click.echo("No plugin provides tasks.")
        return
    columns = (
        Column("NAME", min_width=30),
        Column("PLUGIN", priority=2, min_width=6),
        Column("IMPORT PATH", priority=3, min_width=30),
        Column("DESCRIPTION", priority=1, min_width=16),
    )
    cells = [
        (Text(row["name"]), Text(row["plugin"]), Text(row["import_path"]),
         Text(row["summary"] or "-"))
        for row in rows
    ]  # fmt: skip
    print_table(columns, cells, wide=wide)


__all__ = ["import_path", "ls", "tasks"]
