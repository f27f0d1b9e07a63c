"""The spool: an on-disk journal of requests the server could not take yet.

Each process appends to its own JSON-lines file in ``$CADENZA_HOME/spool/``, named
``<server tag>-<pid>-<random>.jsonl`` (one request per line, fsync'd), and holds an exclusive
`flock` on it for as long as it lives. A file whose lock can be taken therefore belongs to a
process that exited (or was killed): any later process for the same server replays it, in order,
while holding the lock, so two processes never replay the same file. How far a file has been
replayed is kept in a ``.offset`` sidecar, so an interrupted replay resumes where it stopped; the
server deduplicates transitions by id, so a line sent twice applies once.

A line is ``{"op": "flow_run" | "set_state" | "batch", "run_id": ..., "body": {...}}``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

Entry = dict


def server_tag(url: str) -> str:
    """The tag of journals written for the server at API root `url`."""
    import hashlib

    return hashlib.sha1(url.encode()).hexdigest()[:10]


def spool_dir() -> Path:
    from cadenza.settings import spec

    return Path(spec.home()) / "spool"


def _read_offset(path: Path) -> int:
    try:
        return int(path.with_name(path.name + ".offset").read_text() or 0)
    except (OSError, ValueError):
        return 0


def _write_offset(path: Path, offset: int) -> None:
    path.with_name(path.name + ".offset").write_text(str(offset))


def _entries(path: Path, offset: int) -> Iterator[tuple[int, Entry]]:
    """(offset after the line, entry) for each complete line from `offset`; a torn last line
    (the writer died mid-write) is skipped."""
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f:
            offset += len(line)
            if not line.endswith(b"\n"):
                return
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            yield offset, entry


def replay_file(path: Path, send: Callable[[Entry], None], start: int | None = None) -> int:
    """Send each entry of `path` from its recorded offset; return the offset reached.

    `send` raises to stop (the offset of the last entry sent is kept)."""
    offset = _read_offset(path) if start is None else start
    for end, entry in _entries(path, offset):
        send(entry)
        offset = end
        _write_offset(path, offset)
    return offset


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

    # -- own journal ----------------------------------------------------------------------------
    def _open(self) -> int:
        if self._fd is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Lock before the file is visible under its final name: a scanner never sees it free.
            tmp = self.directory / f".tmp-{uuid.uuid4().hex}"
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            path = self.directory / f"{self.tag}-{os.getpid()}-{uuid.uuid4().hex[:12]}.jsonl"
            os.rename(tmp, path)
            self._fd, self.path = fd, path
        return self._fd

    def append(self, entries: list[Entry]) -> None:
        """Append `entries` in order and fsync before returning."""
        if not entries:
            return
        data = b"".join(
            json.dumps(e, separators=(",", ":"), default=str).encode() + b"\n" for e in entries
        )
        with self._lock:
            fd = self._open()
            os.write(fd, data)
            os.fsync(fd)

    def pending(self) -> bool:
        """Whether this process's journal holds entries not yet replayed."""
        with self._lock:
            return self.path is not None and os.path.getsize(self.path) > self._offset

    def replay(self, send: Callable[[Entry], None]) -> None:
        """Replay this process's journal in order; when all of it went, empty the file."""
        with self._lock:
            if self.path is None:
                return
            try:
                self._offset = replay_file(self.path, send, self._offset)
            except BaseException:
                self._offset = max(self._offset, _read_offset(self.path))
                raise
            if self._offset >= os.path.getsize(self.path):
                os.ftruncate(self._fd, 0)
                self._offset = 0
                with contextlib.suppress(OSError):
                    os.unlink(self.path.with_name(self.path.name + ".offset"))

    def close(self) -> None:
        """Release the lock; an empty journal is removed, a non-empty one left for the next
        process to replay."""
        with self._lock:
            if self._fd is None:
                return
            path = self.path
            if path is not None and os.path.getsize(path) <= self._offset:
                with contextlib.suppress(OSError):
                    os.unlink(path)
                with contextlib.suppress(OSError):
                    os.unlink(path.with_name(path.name + ".offset"))
            os.close(self._fd)
            self._fd = None
            self.path = None

    # -- journals left by other processes -------------------------------------------------------
    def orphans(self) -> list[Path]:
        """Journal files in the directory other than this process's own."""
        try:
            names = sorted(self.directory.iterdir(), key=lambda p: p.stat().st_mtime)
        except (FileNotFoundError, OSError):
            return []
        prefix = f"{self.tag}-"
        return [
            p
            for p in names
            if p.suffix == ".jsonl" and p.name.startswith(prefix) and p != self.path
        ]

    def replay_orphans(self, send: Callable[[Entry], None]) -> int:
        """Replay every journal whose process is gone (its lock is free); return how many files
        were replayed completely (and removed). `send` raising stops at that entry."""
        done = 0
        for path in self.orphans():
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is alive, or another one is replaying it
                if not path.exists():  # replayed and removed while we waited
                    continue
                replay_file(path, send)
                with contextlib.suppress(OSError):
                    os.unlink(path)
                with contextlib.suppress(OSError):
                    os.unlink(path.with_name(path.name + ".offset"))
                done += 1
            finally:
                os.close(fd)
        return done
