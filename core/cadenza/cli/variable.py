"""``cadenza variable``: list, read, set and unset variables (`cadenza.variables`).

They live in the run record, or on the server when ``CADENZA_API_URL`` is set. Exit status: 0
on success; 1 when a variable is missing or the record/server fails; 2 for bad usage (an invalid
name, a value that is not JSON with ``--json``, an existing variable without ``--overwrite``).
"""

from __future__ import annotations

import json

import click

from cadenza.cli._common import clear_errors, die, when, wide_option
from cadenza.cli.jsonout import emit_json


@click.group("variable")
def variable() -> None:
    """List, read, set and unset variables (named JSON values shared by flows)."""


@variable.command("ls")
@click.option("--tag", default=None, help="Only variables with this tag.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of variables.")
@wide_option
def ls(tag: str | None, as_json: bool, wide: bool) -> None:
    """List variables: name, value (shortened) and tags."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.variables import Variable

    with clear_errors():
        found = Variable.list(tag=tag)
    if as_json:
        keys = ("name", "value", "tags", "created", "updated")
        emit_json([{k: getattr(v, k) for k in keys} for v in found])
        return
    if not found:
        click.echo("No variables.")
        return
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    columns = (
        Column("NAME", min_width=16),
        Column("VALUE", min_width=12),
        Column("TAGS", priority=2, min_width=8),
        Column("UPDATED", priority=1, min_width=19),
    )
    rows = [
        (Text(v.name), Text(json.dumps(v.value)), Text(", ".join(v.tags)), when(v.updated))
        for v in found
    ]
    print_table(columns, rows, wide=wide)


@variable.command("get")
@click.argument("name")
def get(name: str) -> None:
    """Print a variable's value as JSON."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.variables import Variable

    missing = object()
    with clear_errors():
        value = Variable.get(name, default=missing)
    if value is missing:
        die(f"No variable {name!r} is set")
    click.echo(json.dumps(value, indent=2))


@variable.command("set")
@click.argument("name")
@click.argument("value")
@click.option("--json", "as_json", is_flag=True, help="VALUE is JSON (else a plain string).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--overwrite", is_flag=True, help="Replace an existing variable.")
def set_(name: str, value: str, as_json: bool, tags: tuple[str, ...], overwrite: bool) -> None:
    """Set variable NAME to VALUE."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.variables import Variable

    parsed: object = value
    if as_json:
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            die(f"VALUE is not JSON: {exc}", 2)
    with clear_errors():
        Variable.set(name, parsed, tags=list(tags), overwrite=overwrite)
    click.echo(f"Set variable {name!r}")


set_.name = "set"


@variable.command("unset")
@click.argument("name")
def unset(name: str) -> None:
    """Delete variable NAME."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.variables import Variable

    with clear_errors():
        existed = Variable.unset(name)
    if not existed:
        die(f"No variable {name!r} is set")
    click.echo(f"Unset variable {name!r}")


__all__ = ["get", "ls", "set_", "unset", "variable"]
