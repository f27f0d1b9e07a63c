"""`cadenza run`'s live progress: shown on a terminal (a pseudo-terminal here), never in a pipe,
off with --no-progress or CADENZA_CLI_PROGRESS=false (cadenza.cli.progress).

Prefect 3.9.1 shows no progress for a running flow: its console prints one line per task run.
"""

from __future__ import annotations

import itertools
import os
import pty
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cadenza.cli.progress import RunProgress

FLOWS = textwrap.dedent(
    """
    import time
    from cadenza import flow, task

    @task
    def work(x):
        time.sleep(0.001)
        return x

    @task
    def bad(x):
        raise ValueError(x)

    @flow
    def busy(n: int = 600):
        futures = work.map(range(n))
        bad.submit(1).wait()
        return len([f.result() for f in futures])
    """
)


def run_on(tmp_path: Path, terminal: bool, *options: str, **env: str) -> str:
    (tmp_path / "flows.py").write_text(FLOWS)
    environ = {**os.environ, "CADENZA_LOGGING_LEVEL": "WARNING", "TERM": "xterm", **env}
    environ.pop("CADENZA_API_URL", None)
    args = [sys.executable, "-m", "cadenza.cli.main", "run", "flows.py:busy", *options]
    if not terminal:
        proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              env=environ)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return proc.stdout + proc.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=slave, stderr=slave, env=environ)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode(errors="replace")


def test_progress_shows_on_a_terminal(tmp_path: Path) -> None:
    out = run_on(tmp_path, terminal=True)
    assert "running" in out and "failed" in out and "done" in out
    assert "busy (" in out and "Completed" in out  # the flow run, its state, elapsed time
    final = out.rsplit("task", 1)[1]  # the last table drawn stays as a summary
    assert "work" in final and "600" in final
    assert "bad" in final
    assert "finished in state Completed" in out


@pytest.mark.parametrize(
    ("terminal", "options", "env"),
    [
        (False, (), {}),  # a pipe
        (True, ("--no-progress",), {}),
        (True, (), {"CADENZA_CLI_PROGRESS": "false"}),
    ],
)
def test_no_progress(tmp_path: Path, terminal: bool, options: tuple[str, ...], env) -> None:
    out = run_on(tmp_path, terminal, *options, **env)
    assert "finished in state Completed" in out
    assert "running" not in out and "\x1b[" not in out.replace("\x1b[?25h", "")


class _State:
    def __init__(self, value: str) -> None:
        self.type = type("T", (), {"value": value})()


class _TaskRun:
    task_name = "t"


def test_counts_follow_transitions_and_retries() -> None:
    progress = RunProgress()
    seen = [None, "PENDING", "RUNNING", "SCHEDULED", "RUNNING", "COMPLETED"]  # one retry
    for old, new in itertools.pairwise(seen):
        progress.on_task_run_state(_TaskRun(), _State(old) if old else None, _State(new))
    for old, new in [(None, "PENDING"), ("PENDING", "RUNNING")]:
        progress.on_task_run_state(_TaskRun(), _State(old) if old else None, _State(new))
    assert progress.tasks["t"] == [1, 0, 1]
    progress.on_task_run_state(_TaskRun(), _State("RUNNING"), _State("FAILED"))
    assert progress.tasks["t"] == [1, 1, 0]
