"""`cadenza runs watch RUN_ID`: follows a run in the embedded record or on a server until it
ends; exit status from its final state (cadenza.cli.runs_watch)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

FLOWS = textwrap.dedent(
    """
    import time
    from cadenza import flow, task

    @task
    def step(x):
        time.sleep(0.25)
        return x

    @flow
    def slow(n: int = 6, fail: bool = False):
        for i in range(n):
            step(i)
        if fail:
            raise RuntimeError("asked to fail")
    """
)


def cadenza(env: dict[str, str], *args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        capture_output=True, text=True, timeout=120, env=env, **kw,
    )  # fmt: skip


def start_run(tmp_path: Path, env: dict[str, str], *params: str) -> subprocess.Popen[str]:
    (tmp_path / "flows.py").write_text(FLOWS)
    return subprocess.Popen(
        [sys.executable, "-m", "cadenza.cli.main", "run", "flows.py:slow", *params],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def wait_for_a_run(env: dict[str, str]) -> str:
    import json

    for _ in range(200):
        listed = cadenza(env, "runs", "ls", "--json")
        if listed.returncode == 0 and json.loads(listed.stdout):
            return json.loads(listed.stdout)[0]["id"]
        time.sleep(0.05)
    raise AssertionError("no run appeared")


def watch_and_check(env: dict[str, str], ref: str, code: int, final: str, n: int = 6) -> str:
    watched = cadenza(env, "runs", "watch", ref, "--interval", "0.1")
    assert watched.returncode == code, watched.stdout + watched.stderr
    lines = watched.stdout.splitlines()
    assert lines[0].startswith("Watching flow run ")
    assert any("Running" in line and "running" in line for line in lines[1:-1]), watched.stdout
    assert f"{n} task runs: {n} completed" in watched.stdout
    assert lines[-1].startswith("Flow run ") and f"ended {final}" in lines[-1]
    return watched.stdout


def test_watch_a_local_run_by_prefix(tmp_path: Path, cadenza_home: Path) -> None:
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home)}
    env.pop("CADENZA_API_URL", None)
    proc = start_run(tmp_path, env)
    run_id = wait_for_a_run(env)
    watch_and_check(env, run_id[:13], 0, "Completed")
    assert proc.wait(timeout=60) == 0


def test_watch_a_failing_run_exits_1(tmp_path: Path, cadenza_home: Path) -> None:
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home)}
    env.pop("CADENZA_API_URL", None)
    proc = start_run(tmp_path, env, "--param", "fail=true")
    wait_for_a_run(env)
    out = watch_and_check(env, "latest", 1, "Failed")
    assert "asked to fail" in out
    proc.wait(timeout=60)


def test_watch_errors(cadenza_home: Path) -> None:
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home)}
    env.pop("CADENZA_API_URL", None)
    missing = cadenza(env, "runs", "watch", "nope")
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ")


@pytest.mark.integration
def test_watch_a_run_on_a_server(tmp_path: Path, sqlite_server) -> None:
    env = {
        **os.environ,
        "CADENZA_HOME": str(tmp_path / "home"),
        "CADENZA_API_URL": sqlite_server.url,
    }
    before = cadenza(env, "runs", "ls", "--json").stdout
    proc = start_run(tmp_path, env, "--param", "n=16")  # 4 s: the watch starts well before the end
    import json

    known = {r["id"] for r in json.loads(before)}
    for _ in range(200):
        runs = [
            r
            for r in json.loads(cadenza(env, "runs", "ls", "--json").stdout)
            if r["id"] not in known
        ]
        if runs:
            break
        time.sleep(0.05)
    watch_and_check(env, runs[0]["id"][:18], 0, "Completed", n=16)
    assert proc.wait(timeout=60) == 0
