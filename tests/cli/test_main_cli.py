"""The `cadenza` group: lazy subcommands and a fast, light `--help`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import click
from click.testing import CliRunner

from cadenza.cli.main import LAZY_COMMANDS, LazyGroup, cli


def test_help_lists_commands_without_importing_them() -> None:
    code = (
        "import sys\n"
        "from cadenza.cli.main import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='cadenza')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('rich', 'sqlalchemy', 'alembic')\n"
        "         or m in ('cadenza.cli.runs', 'cadenza.cli.run', 'cadenza.cli.db')]\n"
        "print('HEAVY', sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    for name in ("run", "runs", "db"):
        assert f"  {name} " in out.stdout


def test_lazy_group_loads_on_use_and_skips_missing_modules() -> None:
    @click.group(
        cls=LazyGroup,
        lazy={
            "db": LAZY_COMMANDS["db"],
            "ghost": ("cadenza.cli.no_such_module:ghost", "Never there."),
        },
    )
    def group() -> None:
        pass

    runner = CliRunner()
    result = runner.invoke(group, ["--help"])
    assert "db" in result.stdout and "ghost" not in result.stdout
    result = runner.invoke(group, ["db", "--help"])
    assert result.exit_code == 0 and "downgrade" in result.stdout
    assert runner.invoke(group, ["ghost"]).exit_code == 2


def test_config_command_is_registered_when_present() -> None:
    present = importlib.util.find_spec("cadenza.cli.config") is not None
    with click.Context(cli) as ctx:
        assert ("config" in cli.list_commands(ctx)) == present
    assert LAZY_COMMANDS["config"][0] == "cadenza.cli.config:config"
