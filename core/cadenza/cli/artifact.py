"""``cadenza artifact``: list and show the artifacts runs published (`cadenza.artifacts`).

Read from the run record, or from the server when ``CADENZA_API_URL`` is set.
"""

from __future__ import annotations

import json
from typing import Any

import click

from cadenza.cli._common import clear_errors, die, flow_run_id, plain_table, when, wide_option
from cadenza.cli.ids import resolve_ref
from cadenza.cli.jsonout import emit_json


@click.group("artifact")
def artifact() -> None:
    """List and show artifacts (markdown, tables, links) published by runs."""


def _as_dict(a: Any) -> dict[str, Any]:
    keys = ("id", "key", "type", "description", "data", "flow_run_id", "task_run_id", "created")
    return {k: getattr(a, k) for k in keys}


@artifact.command("ls")
@click.option("--key", default=None, help="Only this key's versions.")
@click.option(
    "--flow-run",
    "flow_run_ref",
    default=None,
    metavar="RUN_ID",
    help="Only this flow run's artifacts (its id, a unique prefix or suffix, latest).",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON array, newest first.")
@wide_option
def ls(key: str | None, flow_run_ref: str | None, limit: int, as_json: bool, wide: bool) -> None:
    """List artifacts, newest first."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.artifacts import list_artifacts

    run_id = flow_run_id(flow_run_ref) if flow_run_ref is not None else None
    with clear_errors():
        found = list_artifacts(key=key, flow_run_id=run_id, limit=limit)
    if as_json:
        emit_json([_as_dict(a) for a in found])
        return
    if not found:
        click.echo("No artifacts.")
        return
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.docstrings import plain
    from cadenza.cli.formatting import Column, print_table
    from cadenza.cli.ids import short_ids

    ids = short_ids(a.id for a in found)
    runs = short_ids(a.flow_run_id for a in found)
    columns = (
        Column("ID", min_width=36),
        Column("KEY", min_width=12),
        Column("TYPE", priority=3, min_width=5),
        Column("FLOW RUN", priority=2, min_width=36),
        Column("CREATED", priority=1, min_width=19),
        Column("DESCRIPTION", priority=4, min_width=12),
    )
    rows = [
        (ids[a.id], Text(a.key or "-"), a.type, runs.get(a.flow_run_id or "", "-"),
         when(a.created), Text(plain(a.description or "")))
        for a in found
    ]  # fmt: skip
    print_table(columns, rows, wide=wide)


@artifact.command("inspect")
@click.argument("key", metavar="KEY|ID")
@click.option("--json", "as_json", is_flag=True, help="The artifact as JSON.")
def inspect(key: str, as_json: bool) -> None:
    """Show the newest artifact recorded under KEY, or the artifact whose id (or a unique
    prefix or suffix of it, as `artifact ls` shows) is ID."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.artifacts import Artifact, list_artifacts

    with clear_errors():
        found = Artifact.get(key)
    if found is None:
        with clear_errors():
            every = {a.id: a for a in list_artifacts(limit=10_000)}
        if not every:
            die(f"No artifact with key {key!r}")
        try:
            found = every[resolve_ref(key, list(every), "artifact")]
        except LookupError as exc:
            message = str(exc)
            die(f"No artifact with key {key!r}" if message.startswith("No ") else message)
    if as_json:
        emit_json(_as_dict(found))
        return
    click.echo(f"{found.key} ({found.type}) {when(found.created)}  id {found.id}")
    if found.description:
        click.echo(found.description)
    click.echo("")
    if found.type == "markdown":
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(found.data))
    elif found.type == "link":
        click.echo(f"{found.data.get('link_text') or found.data['link']}: {found.data['link']}")
    elif found.type == "progress":
        click.echo(f"{found.data:g}%")
    elif found.type == "image":
        click.echo(found.data)
    else:
        _print_table(found.data)


def _print_table(table: Any) -> None:
    if isinstance(table, dict):  # columns
        header = tuple(table)
        rows = list(zip(*table.values(), strict=False))
    elif table and isinstance(table[0], dict):
        header = tuple(dict.fromkeys(k for row in table for k in row))
        rows = [tuple(row.get(k) for k in header) for row in table]
    else:
        header = tuple(str(i) for i in range(max((len(r) for r in table), default=0)))
        rows = [tuple(r) for r in table]
    plain_table([tuple(json.dumps(c) if not isinstance(c, str) else c for c in r) for r in rows],
                header)  # fmt: skip


__all__ = ["artifact", "inspect", "ls"]
