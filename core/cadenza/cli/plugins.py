"""``cadenza plugins``: what the installed plugins are, what they registered, what failed."""

from __future__ import annotations

import json
from typing import Any

import click

from cadenza.cli._common import wide_option


@click.group()
def plugins() -> None:
    """Inspect cadenza plugins: the built-ins and every `cadenza` entry point installed."""


@plugins.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (stable format).")
@click.option("--strict", is_flag=True, help="Exit 1 if any plugin failed to load or conflicts.")
@wide_option
def ls(as_json: bool, strict: bool, wide: bool) -> None:
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
        _print_table(report, conflicts, wide)
    if strict and (conflicts or any(info.status == "failed" for info in report)):
        raise click.exceptions.Exit(1)


def _print_table(report: list[Any], conflicts: list[str], wide: bool) -> None:
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    columns = (
        Column("NAME", min_width=22),
        Column("VERSION", priority=2, min_width=7),
        Column("DISTRIBUTION", priority=4, min_width=12),
        Column("HOOKS", priority=5, min_width=24),
        Column("REGISTERED", priority=3, min_width=24),
        Column("STATUS", priority=1, min_width=8, no_wrap=False, overflow="fold"),
    )
    rows = []
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
        rows.append((
            Text(info.name), Text(info.version or "-"), Text(info.distribution or "-"),
            Text("\n".join(info.hooks) or "-"), Text(registered or "-"), status,
        ))  # fmt: skip
    print_table(columns, rows, wide=wide)
    for conflict in conflicts:
        click.echo(f"Conflict: {conflict}")


__all__ = ["ls", "plugins"]
