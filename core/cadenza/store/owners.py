"""This process's identity, recorded with each flow run so that a later process can tell whether
the run's owner is still alive (pid reuse is ruled out by the process start time, on Linux).

Portable: the start time is read from ``/proc`` where there is one (Linux) and is None elsewhere
(macOS, Windows), where liveness rests on the pid alone. On Windows the pid is probed with
``OpenProcess``/``GetExitCodeProcess``, never ``os.kill(pid, 0)``, which there would terminate
the process.
"""

from __future__ import annotations

import os
import socket
import sys


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


def pid_exists(pid: int) -> bool:
    """Whether a process with id `pid` runs on this host (it may belong to another user)."""
    if sys.platform == "win32":
        return _windows_pid_exists(pid)
    try:
        os.kill(pid, 0)  # signal 0: checks only
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


if sys.platform == "win32":

    def _windows_pid_exists(pid: int) -> bool:
        # lazily: ctypes, and only on Windows
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
        kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
        kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists, not ours
        try:
            code = wintypes.DWORD()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)


def is_alive(pid: int, start: str | None) -> bool:
    """Whether the process that recorded (`pid`, `start`) is still running on this host."""
    if not pid_exists(pid):
        return False
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
if hasattr(os, "register_at_fork"):  # POSIX only: Windows does not fork
    os.register_at_fork(after_in_child=PROCESS.refresh)


__all__ = ["PROCESS", "is_alive", "pid_exists", "process_start_time"]
