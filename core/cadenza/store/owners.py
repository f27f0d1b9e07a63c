"""This process's identity, recorded with each flow run so that a later process can tell whether
the run's owner is still alive (pid reuse is ruled out by the process start time)."""

from __future__ import annotations

import os
import socket


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (clock ticks since boot), or None where unavailable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 22; the command name (field 2) may contain spaces, so split after its closing ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return fields[19].decode() if len(fields) > 19 else None


def is_alive(pid: int, start: str | None) -> bool:
    """Whether the process that recorded (`pid`, `start`) is still running on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if start is None:
        return True
    current = process_start_time(pid)
    return current is None or current == start


class _Process:
    __slots__ = ("hostname", "pid", "start")

    def __init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Re-read after fork."""
        self.pid = os.getpid()
        self.hostname = socket.gethostname()
        self.start = process_start_time(self.pid)


PROCESS = _Process()
os.register_at_fork(after_in_child=PROCESS.refresh)


__all__ = ["PROCESS", "is_alive", "process_start_time"]
