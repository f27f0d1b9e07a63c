"""The ``cadenza`` command group.

Subcommands are registered by import path and imported only when invoked, so ``cadenza --help``
stays fast: the help listing uses the short help strings below instead of importing modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

# name -> (import path "module:attribute", short help shown in `cadenza --help`)
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("cadenza.cli.run:run", "Run a flow from a Python file: FILE:FLOW."),
    "runs": ("cadenza.cli.runs:runs", "List, inspect, cancel, resume and delete flow runs."),
    "journal": (
        "cadenza.cli.journal:journal",
        "Show and send runs recorded while the server was unreachable.",
    ),
    "db": ("cadenza.cli.db:db", "Inspect, migrate and clean the run record; its table sizes."),
    "config": ("cadenza.cli.config:config", "Show and change settings and profiles."),
    "block": ("cadenza.cli.block:block", "Create, list, show and delete saved blocks."),
    "plugins": ("cadenza.cli.plugins:plugins", "List installed plugins and their load errors."),
    "tasks": ("cadenza.cli.tasks:tasks", "List prebuilt tasks that plugins provide."),
    "variable": ("cadenza.cli.variable:variable", "List, read, set and unset variables."),
    "artifact": ("cadenza.cli.artifact:artifact", "List and show artifacts published by runs."),
    "collection": (
        "cadenza.cli.collection:collection",
        "Create a new collection from the template; list installed ones.",
    ),
    "server": ("cadenza.cli.server:server", "Run the coordination server (HTTP API)."),
    "deployments": (
        "cadenza.cli.deployments:deployments",
        "List, show, run, pause, resume and delete deployments.",
    ),
    "deploy": ("cadenza.cli.deploy:deploy", "Create or update deployments from cadenza.yaml."),
    "worker": ("cadenza.cli.worker:worker", "Start a worker that runs a work pool's flow runs."),
    "work-pools": (
        "cadenza.cli.work_pools:work_pools",
        "Create, list, inspect, pause and delete work pools.",
    ),
    "events": ("cadenza.cli.events:events", "List and follow the event stream."),
    "automations": (
        "cadenza.cli.automations:automations",
        "Create, list, inspect, pause, resume and delete automations.",
    ),
    "work-queues": (
        "cadenza.cli.work_pools:work_queues",
        "Create, pause and resume the queues of a work pool.",
    ),
    "concurrency-limit": (
        "cadenza.cli.concurrency:concurrency_limit",
        "Create, list, inspect, reset and delete concurrency and rate limits.",
    ),
    "global-concurrency-limit": (
        "cadenza.cli.concurrency:global_concurrency_limit",
        "The concurrency-limit commands, under Prefect's other name.",
    ),
}


def _module_exists(import_path: str) -> bool:
    module = import_path.partition(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use from `LAZY_COMMANDS`.

    Commands whose module does not exist (e.g. an optional one not yet installed) are omitted.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = {n: spec for n, spec in lazy.items() if _module_exists(spec[0])}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self._lazy:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = self._lazy[cmd_name][0].partition(":")
        try:
            command = getattr(importlib.import_module(module_name), attribute)
        except Exception as exc:  # a broken subcommand must not take down the others
            raise click.ClickException(
                f"The {cmd_name!r} command failed to load: {type(exc).__name__}: {exc}"
            ) from None
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit=60)))
            else:
                rows.append((name, self._lazy[name][1]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


ENTRY_POINT_GROUP = "cadenza"


def installed_extensions() -> list[tuple[str, str]]:
    """(distribution, version) of every installed collection or plugin: each distribution
    declaring a ``cadenza`` entry point, sorted by name. Read from package metadata only: no
    plugin is imported."""
    # lazily: importlib.metadata costs tens of milliseconds; only `--version` reads it
    from importlib.metadata import distributions

    found: dict[str, str] = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if not name or name in found or name.lower() == "cadenza":
            continue  # found twice on sys.path: the first wins, as when loading
        if any(ep.group == ENTRY_POINT_GROUP for ep in dist.entry_points):
            found[name] = dist.version
    return sorted(found.items(), key=lambda item: item[0].lower())


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    # lazily: the version module only for `--version`
    from cadenza._version import __version__

    python = ".".join(map(str, sys.version_info[:3]))
    click.echo(f"cadenza {__version__} (Python {python})")
    extensions = installed_extensions()
    for name, version in extensions:
        click.echo(f"  {name} {version}")
    if not extensions:
        click.echo("  no collections or plugins installed")
    ctx.exit()


@click.group(
    cls=LazyGroup, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show cadenza's version and each installed collection's and plugin's, then exit.",
)
def cli() -> None:
    """Cadenza: Python-native workflow orchestration with a durable record of every run.

    The record lives in $CADENZA_HOME/cadenza.db (CADENZA_HOME defaults to ~/.cadenza).

    Shell completion for bash (zsh_source and fish_source for zsh and fish):

    \b
      eval "$(_CADENZA_COMPLETE=bash_source cadenza)"
    """


def main() -> None:
    """Console-script entry point (``cadenza``)."""
    try:
        cli.main(prog_name="cadenza")
    except BrokenPipeError:  # e.g. `cadenza runs logs X | head`
        sys.stderr.close()
        sys.exit(0)


if __name__ == "__main__":
    main()


__all__ = ["LAZY_COMMANDS", "LazyGroup", "cli", "installed_extensions", "main"]
