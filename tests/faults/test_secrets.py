"""A secret used by a flow — as a parameter (plain and `SecretStr`), in a log line, a print, an
exception and a result — is found nowhere afterwards: not in the record's files (database, WAL,
journal, dead letters), not in the server's database, not in the console output and not in what
the CLI shows (issue 12, defect 4). On every backend."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Backend

pytestmark = pytest.mark.slow

SECRET = "sk-live-0123456789-SECRET"

SCRIPT = textwrap.dedent(
    f"""
    from pydantic import SecretStr

    from cadenza import flow, get_run_logger, task
    from cadenza.blocks.system import Secret

    Secret(value={SECRET!r}).save("api-token", overwrite=True)


    @task(task_run_name="call-{{token}}")
    def call(token: str) -> str:
        get_run_logger().info("calling with %s", token)
        print("printed", token)
        return token


    @flow(log_prints=True, flow_run_name="uses-{{token}}")
    def uses_secret(token: str, password: SecretStr) -> str:
        got = call(token)
        raise RuntimeError(f"authentication failed for {{got}} / {{password.get_secret_value()}}")


    token = Secret.load("api-token").get()
    state = uses_secret(token, SecretStr(token), return_state=True)
    print("RUN", state.state_details.flow_run_id)
    """
)


def cli(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and "storage" not in p.parts]


def test_a_secret_is_found_nowhere(backend: Backend, cadenza_home, tmp_path) -> None:
    script = tmp_path / "uses_secret.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "CADENZA_LOGGING_CONSOLE": "true"}
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    run_id = output.split("RUN ", 1)[1].split()[0]
    assert "authentication failed for ********" in output  # the console echo, masked

    shown = [
        cli("runs", "show", run_id),
        cli("runs", "show", run_id, "--json"),
        cli("runs", "logs", run_id),
        cli("runs", "ls", "--json"),
    ]
    assert "********" in shown[1]
    places = {"console": output, **{f"cli {i}": text for i, text in enumerate(shown)}}
    for path in files_under(cadenza_home):
        places[str(path)] = path.read_bytes().decode(errors="replace")
    if backend.server is not None:
        places["server database"] = backend.server.dump_database()
        for path in files_under(backend.server.home):
            places[str(path)] = path.read_bytes().decode(errors="replace")
    found = {
        where: text[max(0, text.find(SECRET) - 150) : text.find(SECRET) + 40]
        for where, text in places.items()
        if SECRET in text
    }
    assert found == {}
