"""Helpers of cadenza-shell's tests: whether a process is still alive, and a script whose
child starts a grandchild, each writing its pid to a file."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

#: Shell text: the shell, a child bash and the child's background `sleep` (the grandchild)
#: each write their pid into the working directory, then the child waits for its sleep.
SPAWN_TREE = (
    "echo $$ > shell.pid; bash -c 'sleep 300 & echo $! > grandchild.pid; echo $$ > child.pid; wait'"
)
TREE_FILES = ("shell.pid", "child.pid", "grandchild.pid")


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (on Linux, read from /proc: a killed
    process whose parent has not reaped it yet is gone for our purposes)."""
    if sys.platform.startswith("linux"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def tree_pids(directory: Path, wait: float = 30.0) -> dict[str, int]:
    """The pids SPAWN_TREE wrote into ``directory`` (waiting for the files, under load)."""
    deadline = time.monotonic() + wait
    pids: dict[str, int] = {}
    while time.monotonic() < deadline:
        for name in TREE_FILES:
            text = (directory / name).read_text().strip() if (directory / name).exists() else ""
            if text:
                pids[name] = int(text)
        if len(pids) == len(TREE_FILES):
            return pids
        time.sleep(0.05)
    raise AssertionError(f"the script wrote only {sorted(pids)} in {wait} s")


def wait_gone(pids: dict[str, int], wait: float = 15.0) -> list[str]:
    """The names of the processes still alive after up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        left = [name for name, pid in pids.items() if alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)
