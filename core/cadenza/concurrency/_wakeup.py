"""Waking waiters of the embedded record across processes: UNIX datagram sockets, one directory
per limit.

A process that waits for slots binds a datagram socket in the directory of each limit it waits
on (`Waiter`; the first limit's directory holds the socket, the others a symbolic link to it).
The file names start with the time the wait began, so listing a directory gives its waiters in
arrival order. A process that frees slots (a release, a reset, a raised limit) sends one
datagram, the limit's key, to each of the first waiters of that limit — as many as it freed
slots (`wake`) — and the waiter's blocking ``recv`` returns at once. Nobody polls: a waiter's
``recv`` times out only at the next lease expiry it knows of (a dead holder's slots free
themselves then) or after `RECHECK_SECONDS`, a safety net.

A waiter that got a wake-up it did not use (it gave up, or was granted by an attempt already
under way) passes it on to the next waiter when it leaves (`Waiter.close`). A waiter whose
attempt failed after a wake-up keeps its place: someone else took the slot. The socket file of a
process killed while waiting is removed by the next process that fails to reach it.

The directories live beside the record (``<record dir>/concurrency/<key>/``), or, when that path
is too long for a socket address (about 100 bytes), in a short directory of this user's
(``$XDG_RUNTIME_DIR/cadenza/`` or ``/tmp/cadenza-<uid>/``, 0700, then ``<hash of the record's
path>/<key>/``); every process computes the same.

Where there are no UNIX datagram sockets (Windows), a waiter polls instead: its wait ends after
at most `POLL_SECONDS` (or at a `Waiter.poke`), and `wake` has no one to reach.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import stat
import tempfile
import threading
import time
from pathlib import Path
from random import getrandbits

from cadenza._private import private_dir

RECHECK_SECONDS = 5.0
"""The longest a waiter sleeps without a wake-up before it tries again anyway."""
POLL_SECONDS = 0.25
"""Where there are no UNIX datagram sockets: the longest a waiter sleeps between attempts."""
_SOCKETS = hasattr(socket, "AF_UNIX")
_MAX_ADDRESS = 100  # sun_path is 108 bytes on Linux, 104 on macOS
_SOCKET_NAME = 16 + 1 + 10 + 1 + 6 + 2  # time_ns hex, pid, random, ".s"


def key(name: str) -> str:
    """The directory name of limit `name` (names may hold any character but ``/``)."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def root_for(record: Path) -> Path:
    """Where the wake-up directories of the record at `record` are (see the module docstring)."""
    beside = record.resolve().parent / "concurrency"
    if not _SOCKETS or len(os.fsencode(beside)) + 1 + 16 + 1 + _SOCKET_NAME <= _MAX_ADDRESS:
        return beside
    digest = hashlib.sha256(os.fsencode(record.resolve())).hexdigest()[:16]
    return _short_base() / digest


def _short_base() -> Path:
    """A short directory only this user can enter: ``$XDG_RUNTIME_DIR/cadenza`` when there is
    one, else ``<tmp>/cadenza-<uid>``, created 0700 and refused (OSError) when another user
    owns it — a shared temporary directory must not let anyone else place sockets there."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) / "cadenza" if runtime else None
    if base is None or len(os.fsencode(base)) > 40:
        base = Path(tempfile.gettempdir()) / f"cadenza-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        os.mkdir(base, 0o700)
    info = os.lstat(base)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise OSError(f"{base} is not a directory of this user: remove it, or set CADENZA_HOME "
                      "to a shorter path")  # fmt: skip
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(base, 0o700)
    return base


class Waiter:
    """A process's place in the queues of the limits `names` (see the module docstring)."""

    def __init__(self, root: Path, names: list[str]) -> None:
        self.keys = {key(n): n for n in names}
        stamp = f"{time.time_ns():016x}-{os.getpid():010d}-{getrandbits(24):06x}.s"
        self.paths: list[Path] = []
        self._poked = threading.Event()
        self.sock: socket.socket | None = None
        if not _SOCKETS:
            return  # a polling waiter: nothing to bind
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            for i, k in enumerate(self.keys):
                directory = root / k
                private_dir(directory)
                path = directory / stamp
                if i == 0:
                    self.sock.bind(os.fspath(path))
                else:
                    path.symlink_to(self.paths[0])
                self.paths.append(path)
        except BaseException:
            self.close(pass_on=False)
            raise

    def wait(self, timeout: float) -> list[str]:
        """Sleep until a wake-up arrives or `timeout` seconds pass; the limits woken for."""
        if self.sock is None:
            self._poked.wait(min(max(timeout, 0.0), POLL_SECONDS))
            self._poked.clear()
            return []
        self.sock.settimeout(max(timeout, 0.0))
        try:
            woken = [self.sock.recv(64).decode()]
        except (TimeoutError, BlockingIOError):
            return []
        return [self.keys[k] for k in (*woken, *self._pending()) if k in self.keys]

    def _pending(self) -> list[str]:
        out: list[str] = []
        if self.sock is None:
            return out
        self.sock.setblocking(False)
        try:
            while True:
                out.append(self.sock.recv(64).decode())
        except (BlockingIOError, OSError):
            pass
        return out

    def poke(self) -> None:
        """End a wait of this waiter now (from another thread)."""
        self._poked.set()
        if not self.paths:
            return
        with (
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender,
            contextlib.suppress(OSError),
        ):
            sender.sendto(b"", os.fspath(self.paths[0]))

    def close(self, pass_on: bool = True) -> None:
        """Leave the queues; a wake-up not yet used goes to the next waiter of its limit."""
        for path in self.paths:
            with contextlib.suppress(OSError):
                path.unlink()
        unused = self._pending() if pass_on and self.paths else []
        if self.sock is not None:
            self.sock.close()
        if unused:
            root = self.paths[0].parent.parent
            for k in unused:
                if k in self.keys:
                    wake(root, self.keys[k], 1)
        self.paths = []


class Cancel:
    """Set from another thread to stop a waiting acquisition (the async form's cancellation)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.waiter: Waiter | None = None

    def set(self) -> None:
        self.event.set()
        waiter = self.waiter
        if waiter is not None:
            waiter.poke()


def wake(root: Path, name: str, count: int | None = None) -> int:
    """Wake the first `count` waiters of limit `name` (all with None); how many were woken.
    A waiter that cannot be reached (its process died) is removed and not counted."""
    if not _SOCKETS:
        return 0
    directory = root / key(name)
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return 0
    message = key(name).encode()
    woken = 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for entry in entries:
            if count is not None and woken >= count:
                break
            path = os.path.join(directory, entry)
            try:
                sender.sendto(message, path)
            except BlockingIOError:  # its queue is full: it has wake-ups enough
                continue
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):
                    os.unlink(path)
                continue
            except OSError:
                continue
            woken += 1
    return woken


__all__ = ["RECHECK_SECONDS", "Cancel", "Waiter", "key", "root_for", "wake"]
