"""Against a server (SQLite and PostgreSQL) the CLI takes back the ids it shows: a flow run's
id, a unique prefix, or a unique suffix (the end a table shows); an ambiguous one is an error
listing the runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

FLOW = """
from cadenza import flow

@flow(name="ids")
def ids(n: int) -> int:
    return n

for n in range(3):
    ids(n)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(f"quick_{request.param}_server")


def test_runs_show_takes_a_prefix_or_a_suffix_from_a_server(server: Any, tmp_path: Path) -> None:
    env = {**os.environ, "CADENZA_HOME": str(tmp_path), "CADENZA_API_URL": server.url}
    env.pop("CADENZA_API_KEY", None)

    def cadenza(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cadenza.cli.main", *args], env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    script = tmp_path / "ids_flow.py"
    script.write_text(FLOW)
    subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=120,
                   capture_output=True)  # fmt: skip
    runs = json.loads(cadenza("runs", "ls", "--flow", "ids", "--json", "-n", "3").stdout)
    assert len(runs) == 3
    target = runs[1]["id"]
    for ref in (target, target[-12:], target[:-6]):
        done = cadenza("runs", "show", ref, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["id"] == target
    shared = shared_prefix([r["id"] for r in runs])
    assert len(shared) >= 8  # created within a second: the timestamp is shared
    done = cadenza("runs", "logs", shared)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: Flow run id {shared!r} is ambiguous; it matches ")
    missing = cadenza("runs", "show", "zz_%")
    assert missing.returncode == 1 and "No flow run with id, id prefix or id suffix" in (
        missing.stderr
    )


def shared_prefix(ids: list[str]) -> str:
    """The characters every one of `ids` starts with."""
    for i, chars in enumerate(zip(*ids, strict=False)):
        if len(set(chars)) > 1:
            return ids[0][:i]
    return min(ids, key=len)
