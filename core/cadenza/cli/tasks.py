"""``cadenza tasks``: prebuilt tasks contributed by plugins (the ``register_tasks`` hook)."""

from __future__ import annotations

import json
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
    found = _registered_tasks()
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


@tasks.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (stable format).")
def show(name: str, as_json: bool) -> None:
    """Show prebuilt task NAME: its signature, the plugin and distribution that provide it, its
    import path and its whole docstring (as plain text).

    An unknown NAME is an error naming the tasks spelled like it (exit 1).
    """
    found = _registered_tasks()
    reg = found.get(name)
    if reg is None:
        die(unknown_task(name, list(found)))
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.catalogue import describe, parameters, signature
    from cadenza.cli.formatting import output_width

    entry = describe("tasks", name, reg.value, reg.plugin)
    if as_json:
        doc = {
            "name": entry.name,
            "plugin": entry.plugin,
            "distribution": entry.distribution,
            "version": entry.version,
            "import_path": entry.import_path,
            "signature": entry.signature,
            "parameters": [_parameter(p) for p in parameters(reg.value)],
            "description": entry.description,
            "summary": entry.summary,
        }
        click.echo(json.dumps(doc, indent=2))
        return
    provider = entry.distribution or "?"
    if entry.version:
        provider = f"{provider} {entry.version}"
    click.echo(signature(reg.value, width=output_width()))  # one line to a pipe, for grep
    click.echo(f"\n  plugin        {entry.plugin} (distribution {provider})")
    click.echo(f"  import path   {entry.import_path}")
    click.echo("\n" + (plain_docstring(entry.description) or "(no docstring)"))


def unknown_task(name: str, names: list[str]) -> str:
    """The error for a task `name` that no plugin registered: the near matches (close
    spellings, then names containing it), or how many there are."""
    import difflib

    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    containing = [n for n in sorted(names) if name.lower() in n.lower() and n not in close]
    near = (close + containing)[:5]
    if near:
        return f"No prebuilt task named {name!r}; did you mean {', '.join(near)}?"
    return (
        f"No prebuilt task named {name!r} among the {len(names)} that installed plugins provide "
        "(`cadenza tasks ls` lists them)"
    )


def plain_docstring(doc: str | None) -> str:
    """Docstring `doc` dedented, each line's reStructuredText/Markdown inline markup taken out
    (`cadenza.cli.docstrings.plain`), its indentation and paragraphs kept."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    import inspect

    from cadenza.cli.docstrings import plain

    lines = inspect.cleandoc(doc or "").splitlines()
    return "\n".join(line[: len(line) - len(line.lstrip())] + plain(line) for line in lines)


def _parameter(p: Any) -> dict[str, Any]:
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    import inspect

    from cadenza.cli.catalogue import annotation_text

    empty = inspect.Parameter.empty
    return {
        "name": p.name,
        "kind": p.kind.name.lower(),
        "annotation": None if p.annotation is empty else annotation_text(p.annotation),
        "required": p.default is empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD),
        "default": None if p.default is empty else repr(p.default),
    }


def _registered_tasks() -> dict[str, Any]:
    """The registered tasks by name; a plugin conflict as a one-line error."""
    import warnings

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.plugins import registry
    from cadenza.plugins.errors import CadenzaPluginWarning, PluginConflictError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CadenzaPluginWarning)  # `cadenza plugins ls` shows them
        try:
            return registry.registered("tasks")
        except PluginConflictError as exc:
            die(str(exc))


def import_path(task: Any) -> str:
    """``module:attribute`` under which `task` can be imported (its function's module)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.catalogue import import_path as path_of

    return path_of(task)


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


__all__ = ["import_path", "ls", "plain_docstring", "show", "tasks", "unknown_task"]
