"""A run while the server is unreachable: one line at its start and end, a non-zero exit unless
CADENZA_CLIENT_OFFLINE_OK, and `cadenza journal ls | flush` against a real server (uvicorn).

Prefect 3.9.1 with an unreachable PREFECT_API_URL fails the flow call before the run starts:
``RuntimeError: Failed to reach API at http://127.0.0.1:9/api/`` (from httpx.ConnectError), exit
1, nothing run. Cadenza runs it, journals its record and says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from backends.server_process import ServerProcess

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import sys
    from cadenza import flow, task

    @task
    def square(x):
        return x * x

    @flow
    def offline(n: int = 3):
        return sum(square.map(range(n)).result())

    if __name__ == "__main__":
        print("result", offline())
    """
)


def cadenza(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


@pytest.fixture
def server(tmp_path: Path) -> ServerProcess:
    """A server on SQLite, not started: its port is closed until the test starts it."""
    home = tmp_path / "server-home"
    home.mkdir()
    return ServerProcess(f"sqlite:///{home / 'server.db'}", home)


@pytest.fixture
def env(tmp_path: Path, server: ServerProcess) -> dict[str, str]:
    (tmp_path / "flows.py").write_text(SCRIPT)
    environ = {**os.environ, "CADENZA_HOME": str(tmp_path / "home"),
               "CADENZA_API_URL": server.url, "CADENZA_LOGGING_CONSOLE": "true"}  # fmt: skip
    environ.pop("CADENZA_CLIENT_OFFLINE_OK", None)
    return environ


def waiting(env: dict[str, str]) -> int:
    """How many records wait in the journal (`cadenza journal ls --json`)."""
    listed = cadenza(env, "journal", "ls", "--json")
    assert listed.returncode == 0, listed.stderr
    return int(json.loads(listed.stdout)["records"])


def unreachable_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "is unreachable" in line]


def test_offline_then_flush_puts_the_run_on_the_server(
    tmp_path: Path, server: ServerProcess, env: dict[str, str]
) -> None:
    # `cadenza run`: one line at the start, one at the end, exit 3, the record journaled
    proc = cadenza(env, "run", str(tmp_path / "flows.py:offline"))
    assert proc.returncode == 3, proc.stderr
    start, end = unreachable_lines(proc.stderr)
    spool = str(tmp_path / "home" / "spool")
    assert server.url in start and "recording to the journal in " + spool in start
    assert "0 records waiting there" in start
    assert "wait in the journal in " + spool in end and "cadenza journal flush" in end
    run_id = proc.stdout.split()[2]
    assert "finished in state Completed" in proc.stdout
    # 18 records a run, and one more per heartbeat when a slow machine makes the run outlast one
    first = waiting(env)
    assert first >= 18

    # a script calling the flow: the call raises ServerUnreachable, exit 1, one line each
    script = subprocess.run(
        [sys.executable, "flows.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env=env,
    )  # fmt: skip
    assert script.returncode == 1
    start, end = unreachable_lines(script.stderr)
    assert f"{first} records waiting there" in start  # the first run's records wait already
    second = waiting(env)
    assert second >= first + 18
    assert end.startswith("ServerUnreachable: ") and f"{second} records wait" in end
    assert "Traceback" not in script.stderr

    # opted into offline journaling: the run succeeds, the end line is still printed
    ok = subprocess.run(
        [sys.executable, "flows.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**env, "CADENZA_CLIENT_OFFLINE_OK": "true"},
    )  # fmt: skip
    assert ok.returncode == 0 and "result 5" in ok.stdout
    assert len(unreachable_lines(ok.stderr)) == 2

    # what waits
    listed = json.loads(cadenza(env, "journal", "ls", "--json").stdout)
    total = listed["records"]
    assert total >= second + 18 and listed["path"] == spool
    assert listed["kinds"]["flow_runs"] == 3 and listed["kinds"]["task_runs"] == 9
    assert listed["oldest"].endswith("Z") and len(listed["files"]) == 3
    assert all(f["for_server"] and not f["writing"] for f in listed["files"])
    table = cadenza(env, "journal", "ls").stdout
    assert table.startswith(f"{total} records wait in the journal {spool}")

    # flushing while the server is down says so and keeps everything
    down = cadenza(env, "journal", "flush")
    assert down.returncode == 1 and "is unreachable" in down.stderr
    assert waiting(env) == total

    server.start()
    try:
        flushed = cadenza(env, "journal", "flush")
        assert flushed.returncode == 0, flushed.stdout + flushed.stderr
        assert f"Sent {total} records to {server.url}; failed: 0." in flushed.stdout
        assert cadenza(env, "journal", "ls").stdout.startswith("Nothing waits in the journal")
        shown = cadenza(env, "runs", "show", run_id, "--json")
        assert shown.returncode == 0, shown.stderr
        data = json.loads(shown.stdout)
        assert data["states"][-1]["type"] == "COMPLETED"
        assert len(data["task_runs"]) == 3
        again = cadenza(env, "journal", "flush")
        assert again.returncode == 0 and "Nothing waits" in again.stdout
    finally:
        server.stop()
