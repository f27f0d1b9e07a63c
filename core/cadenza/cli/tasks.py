"""``cadenza tasks``: prebuilt tasks contributed by plugins (the ``register_tasks`` hook)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from cadenza.cli._common import die


@click.group()
def tasks() -> None:
    """Prebuilt tasks that installed plugins provide."""


@tasks.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (stable format).")
def ls(as_json: bool) -> None:
    """List prebuilt tasks: name, plugin, import path (module:attribute) and description."""
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
        }
        for name, reg in sorted(found.items())
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    _print_table(rows)


def import_path(task: Any) -> str:
    """``module:attribute`` under which `task` can be imported (its function's module)."""
    fn = getattr(task, "fn", None)
    module_name = getattr(fn, "__module__", None) or "?"
    module = sys.modules.get(module_name)
    for attr, value in vars(module).items() if module is not None else ():
        if value is task:
            return f"{module_name}:{attr}"
    return f"{module_name}:{getattr(fn, '__qualname__', getattr(task, 'name', '?'))}"


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not rows:
        console.print("No plugin provides tasks.")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("Name", "Plugin", "Import path", "Description"):
        table.add_column(column, overflow="fold")
    for row in rows:
        first_line = (row["description"] or "").strip().splitlines()
        summary = first_line[0] if first_line else "-"
        table.add_row(row["name"], row["plugin"], row["import_path"], summary)
    console.print(table)


__all__ = ["import_path", "ls", "tasks"]
