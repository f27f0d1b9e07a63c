"""``cadenza artifact``: list and show the artifacts runs published (`cadenza.artifacts`).

Read from the run record, or from the server when ``CADENZA_API_URL`` is set.
"""

from __future__ import annotations

import json
from typing import Any

import click

from cadenza.cli._common import clear_errors, die, plain_table, when


@click.group("artifact")
def artifact() -> None:
    """List and show artifacts (markdown, tables, links) published by runs."""


def _as_dict(a: Any) -> dict[str, Any]:
    keys = ("id", "key", "type", "description", "data", "flow_run_id", "task_run_id", "created")
    return {k: getattr(a, k) for k in keys}


@artifact.command("ls")
@click.option("--key", default=None, help="Only this key's versions.")
@click.option("--flow-run", "flow_run_id", default=None, help="Only this flow run's artifacts.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON array, newest first.")
def ls(key: str | None, flow_run_id: str | None, limit: int, as_json: bool) -> None:
    """List artifacts, newest first."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.artifacts import list_artifacts

    with clear_errors():
        found = list_artifacts(key=key, flow_run_id=flow_run_id, limit=limit)
    if as_json:
        click.echo(json.dumps([_as_dict(a) for a in found], indent=2))
        return
    if not found:
        click.echo("No artifacts.")
        return
    rows = [
        (a.id[:8], a.key or "-", a.type, (a.flow_run_id or "-")[:8], when(a.created),
         (a.description or "")[:40])
        for a in found
    ]  # fmt: skip
    plain_table(rows, ("ID", "KEY", "TYPE", "FLOW RUN", "CREATED", "DESCRIPTION"))


@artifact.command("inspect")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="The artifact as JSON.")
def inspect(key: str, as_json: bool) -> None:
    """Show the newest artifact recorded under KEY."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.artifacts import Artifact

    with clear_errors():
        found = Artifact.get(key)
    if found is None:
        die(f"No artifact with key {key!r}")
    if as_json:
        click.echo(json.dumps(_as_dict(found), indent=2))
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
