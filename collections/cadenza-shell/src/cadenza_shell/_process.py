"""One shell script run as a child process: its output read line by line as it comes, and the
whole tree of processes it started stopped on a timeout, a cancellation or an error.

On POSIX systems the shell starts in a new session, so it leads a process group of its own
and `RunningShell.stop` signals the shell and every descendant at once (`os.killpg`): a
``sleep`` the script started dies with it. Elsewhere (Windows) only the shell itself is killed.
The parts that need process groups are the ones under ``if POSIX``.

Output is read as bytes, in two threads (stdout and stderr, so that neither pipe fills and
blocks the child), decoded as UTF-8 with undecodable bytes replaced (U+FFFD), and handed to
a callback line by line as each line arrives.
"""

from __future__ import annotations

import collections
import contextvars
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from cadenza_shell._script import scrub
from cadenza_shell.errors import ShellCommandError, ShellTimeoutError

POSIX = os.name == "posix"

#: How many of the last lines of each stream (stdout, stderr) a failure's message shows.
TAIL_LINES = 10
#: A line longer than this many bytes is handed on in pieces of this size.
READ_LIMIT = 8 * 1024 * 1024
#: A line in a failure's message is cut to this many characters.
TAIL_LINE_CHARS = 2000
#: A line in the run's logs is cut to this many characters (the result keeps it whole).
LOG_LINE_CHARS = 64 * 1024
#: Seconds between SIGTERM and SIGKILL when stopping a process group.
GRACE_SECONDS = 5.0
#: Seconds the pipes may stay open after the shell exits (a child left running in the
#: background holds them) before the rest of the group is stopped.
DRAIN_SECONDS = 2.0
#: How often a waiting thread wakes: an exception raised in it asynchronously (a task's
#: timeout) lands within this many seconds.
POLL_SECONDS = 0.1

#: Called with ``(pid, "stdout" | "stderr", line)`` for each line, from a reader thread.
LineCallback = Callable[[int, str, str], None]

#: Keyword arguments of `subprocess.Popen` that the runner sets itself.
RESERVED = frozenset({"args", "stdin", "stdout", "stderr", "start_new_session", "text"})


def decode(raw: bytes) -> str:
    """One line of output as text: its line ending removed, bytes that are not UTF-8 replaced."""
    if raw.endswith(b"\n"):
        raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
    return raw.decode("utf-8", errors="replace")


def for_log(line: str) -> str:
    """``line`` as logged: cut to `LOG_LINE_CHARS`, saying how much was left out."""
    if len(line) <= LOG_LINE_CHARS:
        return line
    return f"{line[:LOG_LINE_CHARS]}... [{len(line) - LOG_LINE_CHARS} more characters]"


def check_working_dir(cwd: str | os.PathLike[str] | None) -> None:
    """Raise a clear error naming ``cwd`` when it is not an existing directory."""
    if cwd is None:
        return
    path = Path(cwd)
    if not path.exists():
        raise FileNotFoundError(f"The working directory {str(path)!r} does not exist")
    if not path.is_dir():
        raise NotADirectoryError(f"The working directory {str(path)!r} is not a directory")


def _group_kwargs() -> dict[str, Any]:
    if POSIX:
        return {"start_new_session": True}  # its own session, so its own process group
    # Windows: a new process group, so that a console Ctrl-C meant for us spares the child
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to process group ``pgid`` (POSIX); False when no process is left in it."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed user: nothing more can be done from here
        return False
    return True


class RunningShell:
    """A started shell and the threads reading its output.

    ``stdout_lines`` collects stdout; `last_lines` gives the last `TAIL_LINES` lines of a
    stream, secret values masked. (Each stream is kept apart: two pipes read by two threads
    give no order between a line of one and a line of the other.)
    `wait` returns the exit status once the output is read to its end; `stop` ends the tree.
    """

    def __init__(
        self,
        args: list[str],
        *,
        env: Mapping[str, str],
        cwd: str | os.PathLike[str] | None,
        on_line: LineCallback,
        popen_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        extra = dict(popen_kwargs or {})
        reserved = sorted(RESERVED & extra.keys())
        if reserved:
            raise TypeError(f"cadenza-shell sets these Popen arguments itself: {reserved}")
        check_working_dir(cwd)
        self.on_line = on_line
        self.stdout_lines: list[str] = []
        self.tails: dict[str, collections.deque[str]] = {
            stream: collections.deque(maxlen=TAIL_LINES) for stream in ("stdout", "stderr")
        }
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            **{**_group_kwargs(), **extra},
        )
        self.pid = self.process.pid
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            self._start_reader(self.process.stdout, "stdout"),
            self._start_reader(self.process.stderr, "stderr"),
        ]

    # -- reading ---------------------------------------------------------------------------------

    def _start_reader(self, pipe: IO[bytes], stream: str) -> threading.Thread:
        context = contextvars.copy_context()  # the run's context: its logger records the lines
        thread = threading.Thread(
            target=context.run,
            args=(self._read, pipe, stream),
            name=f"cadenza-shell-{self.pid}-{stream}",
            daemon=True,
        )
        thread.start()
        return thread

    def _read(self, pipe: IO[bytes], stream: str) -> None:
        with pipe:
            for raw in iter(lambda: pipe.readline(READ_LIMIT), b""):
                line = decode(raw)
                with self._lock:
                    if stream == "stdout":
                        self.stdout_lines.append(line)
                    # masked before it is cut: a cut could leave part of a secret unmasked
                    self.tails[stream].append(scrub(line)[:TAIL_LINE_CHARS])
                try:
                    self.on_line(self.pid, stream, line)
                except Exception:
                    pass  # a failing log handler must not stop the draining (the child would block)

    def last_lines(self, stream: str) -> tuple[str, ...]:
        with self._lock:
            return tuple(self.tails[stream])

    def error(self, cls: type[ShellCommandError], head: str) -> ShellCommandError:
        """A ``cls`` saying ``head`` and the last lines of each stream, masked."""
        stdout, stderr = self.last_lines("stdout"), self.last_lines("stderr")
        return cls(
            scrub(with_last_lines(head, stdout, stderr)),
            exit_code=self.process.returncode,
            last_stdout=stdout,
            last_stderr=stderr,
            pid=self.pid,
        )

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    # -- waiting and stopping --------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> int:
        """The exit status, once the shell has exited and its output is read.

        Waits in steps of `POLL_SECONDS`, so that an exception raised in this thread (a
        task's timeout) lands at once; any exception, a `KeyboardInterrupt` included, stops
        the process tree before it propagates. After ``timeout`` seconds the tree is stopped
        and `ShellTimeoutError` raised.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                try:
                    code = self.process.wait(POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() >= deadline:
                        break
            if self.process.returncode is None:
                self.stop()
                head = f"PID {self.pid} timed out after {timeout:g} s and was stopped with every "
                head += "process it started"
                raise self.error(ShellTimeoutError, head)
            self._drain()
        except BaseException:
            self.stop()
            raise
        return code

    def _drain(self) -> None:
        """Read the output to its end. A background child that outlives the shell keeps the
        pipes open: after `DRAIN_SECONDS` the rest of the group is stopped (POSIX)."""
        deadline = time.monotonic() + DRAIN_SECONDS
        for reader in self._readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        if any(reader.is_alive() for reader in self._readers):
            self.stop()
            for reader in self._readers:
                reader.join(GRACE_SECONDS)

    def stop(self) -> None:
        """End the shell and everything it started: SIGTERM to its process group, SIGKILL to
        what is left after `GRACE_SECONDS` (POSIX); elsewhere, kill the shell. Idempotent."""
        if POSIX:
            # The group's id is the shell's pid (it leads a new session); it stays valid while
            # any member lives, even after the shell itself has exited and been reaped.
            if _signal_group(self.pid, signal.SIGTERM):
                deadline = time.monotonic() + GRACE_SECONDS
                while time.monotonic() < deadline:
                    self.process.poll()  # reap the shell, else it counts as a member
                    if not _signal_group(self.pid, 0):
                        break
                    time.sleep(0.05)
                _signal_group(self.pid, signal.SIGKILL)
        elif self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            pass


def failure_head(pid: int, code: int, task: bool = False) -> str:
    """prefect-shell's words: ``PID 12 failed with return code 3`` (the block's), or with
    ``task``, ``Command failed with exit code 3 (PID 12)`` (its task's); a signal is named."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        if task:
            return f"Command was killed by signal {name} (exit code {code}, PID {pid})"
        return f"PID {pid} was killed by signal {name} (return code {code})"
    if task:
        return f"Command failed with exit code {code} (PID {pid})"
    return f"PID {pid} failed with return code {code}"


def with_last_lines(head: str, stdout: tuple[str, ...], stderr: tuple[str, ...]) -> str:
    parts = [f"{head}."]
    for name, lines in (("stdout", stdout), ("stderr", stderr)):
        if lines:
            parts.append(f"Last {len(lines)} line(s) of {name}:\n" + "\n".join(lines))
    return "\n".join(parts)


def raise_for_status(running: RunningShell, code: int, task: bool = False) -> None:
    """`ShellCommandError` for a non-zero exit status, its message masked (``task``: worded
    as prefect-shell's task words it)."""
    if code == 0:
        return
    raise running.error(ShellCommandError, failure_head(running.pid, code, task))


__all__ = [
    "POSIX",
    "RunningShell",
    "ShellCommandError",
    "ShellTimeoutError",
    "check_working_dir",
    "decode",
    "failure_head",
    "for_log",
    "raise_for_status",
]
