"""The spool: on-disk journals of requests the server could not take yet.

Each process appends to its own journal in ``$CADENZA_HOME/spool/`` (directory mode 0700),
named ``<server tag>-<pid>-<random>.jsonl`` (mode 0600; one request per line, fsync'd), and
holds an exclusive OS lock on it for as long as it lives (`filelock.lock_descriptor`: ``flock``
on POSIX, ``LockFileEx`` on Windows; the kernel drops it when the process dies). A file whose
lock can be taken therefore belongs to a process that exited (or was killed): any later process
for the same server replays it, in order, while holding the lock, so two processes never replay
the same file. The line format, the ``.offset`` sidecar that lets an interrupted replay resume,
and what happens to lines that cannot be read are `cadenza.client.journal`'s.

**Replay contract** (`Spool.replay`, `Spool.replay_orphans`, `replay_file`): ``send(entry)``
returns normally when the entry is done with — the server took it, or refused it for good and
``send`` already kept it aside with `cadenza.deadletter.quarantine`. It raises (normally
``ServerUnavailable``) to stop: that entry and those after it stay for a later replay. Lines
that cannot be read are kept aside as dead letters (source ``"journal"``, kind
``"journal-line"``) in the dead-letter file of the spool directory's parent (the home). A journal
file is removed (or, for this process's own, emptied) only when every line in it was sent or
kept aside. An `OSError` writing a dead letter or the offset sidecar (a full disk) propagates
like an exception from ``send``: the journal stays as it is, to be replayed later.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from cadenza.client import journal
from cadenza.client.journal import Entry, replay_file
from cadenza.settings import spec

DIR_MODE = 0o700
FILE_MODE = 0o600


def server_tag(url: str) -> str:
    """The tag of journals written for the server at API root `url`."""
    return hashlib.sha1(url.encode()).hexdigest()[:10]


def spool_dir() -> Path:
    """``$CADENZA_HOME/spool``."""
    return Path(spec.home()) / "spool"


def make_private_dir(directory: Path) -> None:
    """Create `directory` (mode 0700), or narrow it to 0700 if it is ours and wider."""
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    geteuid = getattr(os, "geteuid", None)  # POSIX only; Windows has no mode bits to narrow
    st = directory.stat()
    if geteuid is not None and st.st_mode & 0o077 and st.st_uid == geteuid():
        os.chmod(directory, DIR_MODE)


class Spool:
    """This process's journal (created on first append) plus replay of dead processes' files."""

    def __init__(self, directory: Path | None = None, tag: str = "") -> None:
        self.directory = directory or spool_dir()
        #: Names the server the journal is for: only journals with the same tag are replayed.
        self.tag = tag
        self.path: Path | None = None
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._offset = 0  # how far this process's own file was replayed

    @property
    def home(self) -> Path:
        """Where the dead-letter file for unreadable journal lines is: the directory's parent."""
        return self.directory.parent

    # -- own journal ----------------------------------------------------------------------------
    def _open(self) -> int:
        if self._fd is None:
            make_private_dir(self.directory)
            # Lock before the file is visible under its final name: a scanner never sees it free.
            tmp = self.directory / f".tmp-{uuid.uuid4().hex}"
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_APPEND, FILE_MODE)
            _lock(fd, blocking=True)
            path = self.directory / f"{self.tag}-{os.getpid()}-{uuid.uuid4().hex[:12]}.jsonl"
            os.rename(tmp, path)
            _fsync_dir(self.directory)  # the file's name survives a power loss too
            self._fd, self.path = fd, path
        return self._fd

    def append(self, entries: list[Entry]) -> None:
        """Append `entries` in order and fsync before returning.

        All or nothing: when the write or the fsync fails (a full disk), the file is cut back
        to where it was and the `OSError` propagates, so no torn line is left for the next
        append to run into."""
        if not entries:
            return
        data = b"".join(map(journal.encode, entries))
        with self._lock:
            fd = self._open()
            size = os.fstat(fd).st_size
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                raise

    def pending(self) -> bool:
        """Whether this process's journal holds entries not yet replayed."""
        with self._lock:
            return self.path is not None and os.path.getsize(self.path) > self._offset

    def replay(self, send: Callable[[Entry], None]) -> None:
        """Replay this process's journal in order (see the module docstring for `send`); when
        all of it was done with, empty the file."""
        with self._lock:
            if self.path is None:
                return
            try:
                self._offset = replay_file(self.path, send, self._offset, home=self.home)
            except BaseException:
                self._offset = max(self._offset, journal.read_offset(self.path)[0])
                raise
            if self._offset >= os.path.getsize(self.path):
                # sidecar first: a crash between the two replays from 0, never skips lines
                journal.remove_offset(self.path)
                os.ftruncate(self._fd, 0)
                self._offset = 0

    def close(self) -> None:
        """Release the lock; an empty journal is removed, a non-empty one left for the next
        process to replay."""
        with self._lock:
            if self._fd is None:
                return
            path = self.path
            if path is not None and os.path.getsize(path) <= self._offset:
                _remove(path)
            os.close(self._fd)
            self._fd = None
            self.path = None

    # -- journals left by other processes -------------------------------------------------------
    def orphans(self) -> list[Path]:
        """Journal files for this spool's server other than this process's own, oldest first."""
        prefix = f"{self.tag}-"
        found = journal_files(self.directory)
        return [p for p in found if p.name.startswith(prefix) and p != self.path]

    def replay_orphans(self, send: Callable[[Entry], None]) -> int:
        """Replay every journal whose process is gone (its lock is free), keeping a torn last
        line aside; return how many files were done with completely (and removed). `send`
        raising stops at that entry (see the module docstring)."""
        done = 0
        for path in self.orphans():
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                if not _lock(fd, blocking=False):
                    continue  # its process is alive, or another one is replaying it
                if not path.exists():  # replayed and removed while we waited
                    continue
                offset = replay_file(path, send, writer_alive=False, home=self.home)
                if offset >= os.fstat(fd).st_size:
                    _remove(path)
                    done += 1
            finally:
                os.close(fd)
        self._remove_stray_sidecars()
        return done

    def _remove_stray_sidecars(self) -> None:
        """Offset sidecars whose journal is gone (a crash between removing the two)."""
        with contextlib.suppress(OSError):
            for sidecar in self.directory.glob(f"{glob.escape(self.tag)}-*.jsonl.offset"):
                if not sidecar.with_suffix("").exists():
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(sidecar)


def journal_files(directory: Path) -> list[Path]:
    """The journals in `directory`, oldest first."""
    try:
        found = [p for p in directory.iterdir() if p.suffix == ".jsonl"]
    except OSError:
        return []
    stamped = []
    for p in found:
        with contextlib.suppress(FileNotFoundError):
            stamped.append((p.stat().st_mtime, p))
    return [p for _, p in sorted(stamped)]


class JournalInfo(NamedTuple):
    """One journal as `cadenza db doctor` shows it."""

    path: Path
    tag: str
    pid: int | None
    owner_alive: bool  # its lock is held: its process lives (or another one is replaying it)
    status: journal.Status


def describe(path: Path) -> JournalInfo:
    """What is left in the journal `path`, read without changing it. The lock is probed
    (without waiting) and held only for the moment of reading."""
    tag, _, rest = path.stem.rpartition("-")[0].rpartition("-")
    pid = int(rest) if rest.isdigit() else None
    with open(path, "rb") as f:
        alive = not _lock(f.fileno(), blocking=False)
        status = journal.inspect(path, writer_alive=alive)
    return JournalInfo(path, tag, pid, alive, status)


def _lock(fd: int, *, blocking: bool) -> bool:
    """Take the exclusive lock on the open file `fd` (released when `fd` is closed); whether it
    was taken (always, when `blocking`)."""
    # lazily: filelock costs tens of milliseconds to import; only a journal needs it
    from filelock import lock_descriptor

    return lock_descriptor(fd, blocking=blocking)


def _remove(path: Path) -> None:
    """Remove a journal, then its sidecar (a crash between leaves a stray sidecar, harmless)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    journal.remove_offset(path)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = [
    "Entry",
    "JournalInfo",
    "Spool",
    "describe",
    "journal_files",
    "make_private_dir",
    "replay_file",
    "server_tag",
    "spool_dir",
]
