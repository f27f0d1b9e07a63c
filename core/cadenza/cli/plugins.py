"""``cadenza plugins``: what the installed plugins are, what they registered, what failed."""

from __future__ import annotations

import json
from typing import Any

import click


@click.group()
def plugins() -> None:
    """Inspect cadenza plugins: the built-ins and every `cadenza` entry point installed."""


@plugins.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (stable format).")
@click.option("--strict", is_flag=True, help="Exit 1 if any plugin failed to load or conflicts.")
def ls(as_json: bool, strict: bool) -> None:
    """List plugins: name, version, distribution, hooks, what each registered, load errors.

    Plugins that fail to load are listed with the reason; the command still exits 0 unless
    --strict is given.
    """
    import warnings

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.plugins import registry
    from cadenza.plugins.errors import CadenzaPluginWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CadenzaPluginWarning)  # shown in the listing instead
        report = registry.load_report()
    conflicts = [str(exc) for exc in registry.conflicts()]
    if as_json:
        doc = {"plugins": [info.to_dict() for info in report], "conflicts": conflicts}
        click.echo(json.dumps(doc, indent=2))
    else:
        _print_table(report, conflicts)
    if strict and (conflicts or any(info.status == "failed" for info in report)):
        raise click.exceptions.Exit(1)


def _print_table(report: list[Any], conflicts: list[str]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD)
    for column in ("Name", "Version", "Distribution"):
        table.add_column(column, no_wrap=True)
    for column in ("Hooks", "Registered", "Status"):
        table.add_column(column, overflow="fold")
    for info in report:
        registered = "\n".join(
            f"{kind}: {name}" for kind, names in info.registered.items() for name in names
        )
        if info.status == "loaded":
            status = Text("loaded", style="green")
        elif info.status == "failed":
            status = Text(f"failed: {info.error}", style="red")
        else:
            status = Text(f"disabled: {info.note}", style="yellow")
        table.add_row(
            info.name,
            info.version or "-",
            info.distribution or "-",
            "\n".join(info.hooks) or "-",
            registered or "-",
            status,
        )
    console = Console()
    console.print(table)
    for conflict in conflicts:
        console.print(Text(f"Conflict: {conflict}", style="red"))


__all__ = ["ls", "plugins"]
