"""Every command that lists or shows something (``ls``, ``show``, ``inspect``, ``logs``,
``config view``) takes ``--json`` and prints JSON whose timestamps are ISO 8601 in UTC; every
``ls`` takes ``--wide``. The commands are found by walking the click command tree, so a new one
is held to the same rule; each is run on the embedded record and, for all of them, on a real
server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from cadenza import flow
from cadenza._times import OPAQUE_KEYS, TIME_KEYS
from cadenza.cli.main import cli

READ_VERBS = {"ls", "show", "inspect", "logs"}
SERVER_ONLY = {"work-pools", "automations"}
ROOT = Path(__file__).resolve().parents[2]

# The arguments each command that needs one is run with (the objects `seed_*` create).
ARGS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("runs", "show"): ("latest",),
    ("runs", "logs"): ("latest",),
    ("artifact", "inspect"): ("report",),
    ("block", "show"): ("secret/api-key",),
    ("concurrency-limit", "inspect"): ("db",),
    ("concurrency-limit", "show"): ("db",),
    ("global-concurrency-limit", "inspect"): ("db",),
    ("global-concurrency-limit", "show"): ("db",),
    ("deployments", "show"): ("etl/nightly",),
    ("work-pools", "inspect"): ("pool-a",),
    ("automations", "inspect"): ("on-failure",),
    ("tasks", "show"): ("s3_upload",),  # cadenza-aws's, installed for development
}


def walk(command: click.Command, ctx: click.Context, path: tuple[str, ...]) -> Iterator[Any]:
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from walk(sub, click.Context(sub, parent=ctx, info_name=name), (*path, name))
    else:
        yield path, command


def read_commands() -> dict[tuple[str, ...], click.Command]:
    every = dict(walk(cli, click.Context(cli, info_name="cadenza"), ()))
    return {p: c for p, c in every.items() if p[-1] in READ_VERBS or p == ("config", "view")}


def options(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in param.opts}


def test_the_walk_finds_the_commands_users_read_with() -> None:
    found = read_commands()
    expected = {("runs", "ls"), ("runs", "show"), ("runs", "logs"), ("config", "view"),
                ("tasks", "ls"), ("artifact", "inspect"), ("work-pools", "inspect")}  # fmt: skip
    assert expected <= set(found)
    assert len(found) >= 20


def test_every_read_command_takes_json_and_every_ls_wide() -> None:
    found = read_commands()
    assert not [p for p, c in found.items() if "--json" not in options(c)], "no --json"
    assert not [p for p, c in found.items() if p[-1] == "ls" and "--wide" not in options(c)]


def test_every_command_needing_an_argument_has_one_here() -> None:
    for path, command in read_commands().items():
        required = [p for p in command.params if isinstance(p, click.Argument) and p.required]
        assert not required or path in ARGS, f"add the arguments of `{' '.join(path)}` to ARGS"


def assert_iso_times(value: Any, key: str | None = None) -> int:
    """Every timestamp in `value` is an ISO 8601 UTC string; how many there are."""
    if isinstance(value, dict):
        return sum(assert_iso_times(v, k) for k, v in value.items() if k not in OPAQUE_KEYS)
    if isinstance(value, list):
        return sum(assert_iso_times(v, key) for v in value)
    if key is not None and (key in TIME_KEYS or key.endswith("_time")) and value is not None:
        assert isinstance(value, str), (key, value)
        assert datetime.fromisoformat(value).utcoffset() == timedelta(0), (key, value)
        return 1
    return 0


FLOWS = """
from cadenza import flow
from cadenza.artifacts import create_markdown_artifact

@flow(name="etl")
def etl(n: int = 1):
    create_markdown_artifact("# done", key="report", description="the **report**")
    return n
"""
PROJECT = """
deployments:
  - name: nightly
    entrypoint: flows.py:etl
    schedules:
      - cron: "0 9 * * *"
"""


def project(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "flows.py").write_text(textwrap.dedent(FLOWS))
    (directory / "cadenza.yaml").write_text(textwrap.dedent(PROJECT))
    return directory


SETUP = [
    ("variable", "set", "greeting", '"hello"', "--json"),
    ("block", "create", "secret", "api-key", "--field", "value=sk-1"),
    ("concurrency-limit", "create", "db", "--limit", "2"),
]
SERVER_SETUP = [
    ("work-pools", "create", "pool-a"),
    ("automations", "create", "--name", "on-failure", "--on", "cadenza.flow-run.Failed",
     "--cancel"),
]  # fmt: skip


@flow(name="etl")
def etl_here(n: int = 1) -> int:
    from cadenza.artifacts import create_markdown_artifact

    create_markdown_artifact("# done", key="report", description="the **report**")
    return n


def test_every_read_command_prints_json_from_the_record(home: Path, tmp_path: Path) -> None:
    etl_here()
    runner = CliRunner()
    for args in [*SETUP, ("deploy", "--all", "--file", str(project(tmp_path) / "cadenza.yaml"))]:
        done = runner.invoke(cli, list(args), catch_exceptions=False)
        assert done.exit_code == 0, (args, done.output)
    times = 0
    for path in read_commands():
        if path[0] in SERVER_ONLY:
            continue
        result = runner.invoke(cli, [*path, *ARGS.get(path, ()), "--json"])
        assert result.exit_code == 0, (path, result.stdout, result.stderr)
        times += assert_iso_times(json.loads(result.stdout))
    assert times > 20


@pytest.mark.integration
def test_every_read_command_prints_json_from_a_server(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from backends.server_process import ServerProcess

    server = ServerProcess(f"sqlite:///{tmp_path / 'server.db'}", tmp_path).start()
    env = {**os.environ, "CADENZA_HOME": str(tmp_path / "client"), "CADENZA_API_URL": server.url}
    env.pop("CADENZA_API_KEY", None)

    def cadenza(*args: str, cwd: Path | None = None) -> str:
        done = subprocess.run([sys.executable, "-m", "cadenza.cli.main", *args], env=env,
                              cwd=cwd, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    try:
        where = project(tmp_path / "proj")
        subprocess.run([sys.executable, "-c", "import flows; flows.etl()"], env=env, cwd=where,
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        for args in [*SETUP, *SERVER_SETUP]:
            cadenza(*args)
        cadenza("deploy", "--all", cwd=where)
        times = 0
        for path in read_commands():
            times += assert_iso_times(json.loads(cadenza(*path, *ARGS.get(path, ()), "--json")))
        assert times > 20
    finally:
        server.stop()
