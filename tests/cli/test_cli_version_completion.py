"""``cadenza --version`` names the core and every installed collection and plugin with its
version; shell completion (click's, through ``_CADENZA_COMPLETE``) gives bash, zsh and fish a
script, and answers a completion request with the subcommands."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import distributions, version

import pytest

from cadenza._version import __version__


def cadenza(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_version_names_the_core_and_each_collection() -> None:
    done = cadenza("--version")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    python = ".".join(map(str, sys.version_info[:3]))
    assert lines[0] == f"cadenza {__version__} (Python {python})"
    installed = {
        d.metadata["Name"] for d in distributions() if any(ep.group == "cadenza" for ep in
                                                           d.entry_points)
    }  # fmt: skip
    assert {"cadenza-aws", "cadenza-dask", "cadenza-sql"} <= installed
    for name in installed - {"cadenza"}:
        assert f"  {name} {version(name)}" in lines
    assert "Traceback" not in done.stderr


def test_version_imports_no_plugin() -> None:
    code = (
        "import sys\nfrom cadenza.cli.main import cli\ntry:\n"
        "    cli.main(['--version'], prog_name='cadenza')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('cadenza_', 'pluggy'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.stdout.splitlines()[-1] == "[]", done.stdout + done.stderr


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F _cadenza_completion cadenza"),
     ("zsh", "#compdef cadenza"),
     ("fish", "complete --no-files --command cadenza")],
)  # fmt: skip
def test_completion_script_for_each_shell(shell: str, marker: str) -> None:
    done = cadenza(_CADENZA_COMPLETE=f"{shell}_source")
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout and "_CADENZA_COMPLETE" in done.stdout


def test_bash_completion_request_returns_subcommands() -> None:
    top = cadenza(_CADENZA_COMPLETE="bash_complete", COMP_WORDS="cadenza ru", COMP_CWORD="1")
    assert top.stdout.split() == ["plain,run", "plain,runs"]
    sub = cadenza(_CADENZA_COMPLETE="bash_complete", COMP_WORDS="cadenza runs ", COMP_CWORD="2")
    assert {"plain,ls", "plain,show", "plain,logs", "plain,cancel"} <= set(sub.stdout.split())
    opts = cadenza(_CADENZA_COMPLETE="bash_complete", COMP_WORDS="cadenza runs ls --w",
                   COMP_CWORD="3")  # fmt: skip
    assert opts.stdout.split() == ["plain,--wide"]


def test_zsh_and_fish_completion_requests() -> None:
    zsh = cadenza(_CADENZA_COMPLETE="zsh_complete", COMP_WORDS="cadenza tas", COMP_CWORD="1")
    assert "tasks" in zsh.stdout
    fish = cadenza(_CADENZA_COMPLETE="fish_complete", COMP_WORDS="cadenza runs l",
                   COMP_CWORD="l")  # fmt: skip
    assert {"ls", "logs"} <= {line.split("\t")[0].split(",")[-1] for line in fish.stdout.split()}
