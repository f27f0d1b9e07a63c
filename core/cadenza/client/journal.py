"""One journal file: its line format, reading it back, and replaying it from a resumable offset.

A journal holds one request per line: ``<crc> <JSON>\\n``, where ``<crc>`` is the CRC-32 of the
JSON text as 8 lowercase hex digits, so that a flipped bit is caught even where the JSON would
still parse (lines of a bare ``<JSON>``, as journals written before the checksum hold, are read
too). The JSON is an *entry* ``{"op": "flow_run" | "set_state" | "batch", "body": {...}}``
(``set_state`` adds ``"run_id"``); `entry_problem` says why anything else is not one. Replay
(`replay_file`) sends the entries in order to a ``send`` callback and keeps what it cannot read
aside:

- **The send contract.** ``send(entry)`` returns normally when the entry is done with: the server
  took it, or refused it for good and ``send`` has already kept it aside itself
  (`cadenza.deadletter.quarantine`). It raises to stop the replay — ``ServerUnavailable`` when
  the server cannot be reached — and then that entry and every one after it stay in the journal
  for a later replay. Any exception stops the replay the same way, so ``send`` must not raise
  for an entry that will never be accepted: that would stop the journal behind it for good.
- **Unreadable lines** (checksum mismatch, not UTF-8, not JSON, JSON but not an entry) are kept
  aside as dead letters (`cadenza.deadletter`): source ``"journal"``, kind ``"journal-line"``,
  the raw line as text (undecodable bytes as ``\\xNN``), the reason (one of the constants
  below), and ``origin`` ``{"file", "offset", "detail"}``. One warning on the ``cadenza.client``
  logger names the file and how many lines were kept. Blank lines carry nothing and are passed
  over.
- **A torn last line** (no ``\\n``) may still be being written while its writer lives: replay
  stops before it. Once the writer is gone (``writer_alive=False``: its lock was free) the line
  never completes, and it is kept aside like an unreadable one.
- **The offset sidecar** ``<journal>.offset`` holds the byte offset after the last line done
  with, written (atomically, mode 0600) after each line, so a replay killed half-way resumes
  there. A missing sidecar means offset 0; an unreadable one, or one that does not fall on a line
  boundary inside the file, is reported and replay starts from 0. Either way lines may be sent
  again: the server applies a repeated transition id once (log lines carry no id and can
  repeat). A line kept aside twice this way is recorded once (same file, offset and text).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from cadenza import deadletter

logger = logging.getLogger("cadenza.client")

Entry = dict
#: The requests a journal line can hold (`cadenza.backends.wire` makes them).
OPS = frozenset({"flow_run", "set_state", "batch"})
#: Reasons given for a line kept aside (stable: `cadenza db doctor` groups dead letters by them).
BAD_CHECKSUM = "journal line fails its checksum"
NOT_UTF8 = "journal line is not UTF-8"
NOT_JSON = "journal line is not JSON"
NOT_ENTRY = "journal line is not a journal entry"
TORN = "torn last line of a journal whose writer died"

_CHECKSUMMED = re.compile(rb"[0-9a-f]{8} ")


class Line(NamedTuple):
    """One line of a journal: where it starts and ends (bytes), and the entry it holds, or why
    it holds none (``problem``; None with no entry for a blank line)."""

    start: int
    end: int
    raw: bytes
    entry: Entry | None
    problem: str | None
    detail: str = ""


def entry_problem(value: Any) -> str | None:
    """Why a parsed line `value` is not a journal entry, or None when it is one."""
    if not isinstance(value, dict):
        return f"a JSON {type(value).__name__}, not an object"
    op = value.get("op")
    if op not in OPS:
        return f"unknown op {op!r}"
    if not isinstance(value.get("body"), dict):
        return 'no "body" object'
    if op == "set_state" and not isinstance(value.get("run_id"), str):
        return 'a set_state entry without a "run_id" string'
    return None


def parse(start: int, raw: bytes) -> Line:
    """The `Line` for one complete line `raw` (with its ``\\n``) starting at byte `start`."""
    end = start + len(raw)
    if not raw.strip():
        return Line(start, end, raw, None, None)
    data = raw
    if _CHECKSUMMED.match(raw):
        data = raw[9:]
        crc = zlib.crc32(data[:-1])  # the JSON, without the newline
        if crc != int(raw[:8], 16):
            return Line(start, end, raw, None, BAD_CHECKSUM, f"CRC-32 {crc:08x}, not {raw[:8]!r}")
    try:
        text = data.decode("utf-8")  # strictly: json.loads(bytes) would guess UTF-16 for NULs
    except UnicodeDecodeError as exc:
        return Line(start, end, raw, None, NOT_UTF8, str(exc))
    try:
        value = json.loads(text)
    except ValueError as exc:
        return Line(start, end, raw, None, NOT_JSON, str(exc))
    problem = entry_problem(value)
    if problem is not None:
        return Line(start, end, raw, None, NOT_ENTRY, problem)
    return Line(start, end, raw, value, None)


def read_lines(path: Path, offset: int = 0, *, writer_alive: bool = True) -> Iterator[Line]:
    """The lines of `path` from byte `offset` (a line boundary), in order. A torn last line is
    left out while its writer may be alive, and given as `TORN` once it is gone."""
    with open(path, "rb") as f:
        f.seek(offset)
        for raw in f:
            if raw.endswith(b"\n"):
                yield parse(offset, raw)
            elif not writer_alive:
                yield Line(offset, offset + len(raw), raw, None, TORN, f"{len(raw)} bytes")
            offset += len(raw)


def encode(entry: Entry) -> bytes:
    """`entry` as its journal line: checksum, compact JSON (ASCII only), newline."""
    data = json.dumps(entry, separators=(",", ":"), default=str).encode()
    return b"%08x %s\n" % (zlib.crc32(data), data)


# -- the offset sidecar ---------------------------------------------------------------------------
def offset_path(path: Path) -> Path:
    """The sidecar recording how far `path` was replayed."""
    return path.with_name(path.name + ".offset")


def read_offset(path: Path) -> tuple[int, str | None]:
    """Where replay of `path` resumes, and why the sidecar was not usable (None when it was, or
    when there is none: offset 0). A usable offset lies inside the file on a line boundary."""
    try:
        text = offset_path(path).read_bytes()
    except FileNotFoundError:
        return 0, None
    except OSError as exc:
        return 0, f"cannot read it ({exc})"
    try:
        offset = int(text.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return 0, f"it holds {text[:40]!r}, not a byte offset"
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if offset < 0 or offset > size:
                return 0, f"offset {offset} is outside the file ({size} bytes)"
            if offset > 0:
                f.seek(offset - 1)
                if f.read(1) != b"\n":
                    return 0, f"offset {offset} is not at the start of a line"
    except OSError as exc:
        return 0, f"cannot check it against the journal ({exc})"
    return offset, None


def write_offset(path: Path, offset: int) -> None:
    """Record `offset` for `path`: a complete file renamed into place, mode 0600."""
    target = offset_path(path)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, str(offset).encode())
    finally:
        os.close(fd)
    os.replace(tmp, target)


def remove_offset(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(offset_path(path))


def resume_offset(path: Path) -> int:
    """`read_offset`, with one warning when the sidecar was unusable."""
    offset, problem = read_offset(path)
    if problem is not None:
        logger.warning(
            "The replay offset of the journal %s is unusable (%s); replaying it from the start "
            "(the server applies a repeated transition once)",
            path,
            problem,
        )
    return offset


# -- replay ---------------------------------------------------------------------------------------
class _Keeper:
    """Keeps the unreadable lines of one journal aside as dead letters, each once."""

    def __init__(self, path: Path, home: Path) -> None:
        self.path, self.home = path, home
        self.kept = 0
        self._seen: set[tuple[int, str]] | None = None

    def keep(self, line: Line) -> None:
        text = line.raw.decode("utf-8", errors="backslashreplace")
        if self._seen is None:  # lines kept by an earlier, interrupted replay of this file
            self._seen = {
                (d["origin"].get("offset"), d.get("record"))
                for d in deadletter.read_dead_letters(self.home)
                if d.get("source") == "journal"
                and isinstance(d.get("origin"), dict)
                and d["origin"].get("file") == str(self.path)
            }
        if (line.start, text) not in self._seen:
            origin = {"file": str(self.path), "offset": line.start, "detail": line.detail}
            deadletter.quarantine(
                "journal", "journal-line", text, line.problem or "", self.home, origin=origin
            )
            self._seen.add((line.start, text))
        self.kept += 1


def replay_file(
    path: Path,
    send: Callable[[Entry], None],
    start: int | None = None,
    *,
    writer_alive: bool = True,
    home: Path | None = None,
) -> int:
    """Send each entry of `path` in order from `start` (default: its offset sidecar), keeping
    unreadable lines aside in `home`'s dead-letter file (default: the spool directory's parent);
    return the offset reached. See the module docstring for ``send``'s contract: when it raises,
    the offset stays before that entry and the exception propagates."""
    offset = resume_offset(path) if start is None else start
    keeper = _Keeper(path, home if home is not None else path.parent.parent)
    try:
        for line in read_lines(path, offset, writer_alive=writer_alive):
            if line.entry is not None:
                send(line.entry)
            elif line.problem is not None:
                keeper.keep(line)
            offset = line.end
            write_offset(path, offset)
    finally:
        if keeper.kept:
            logger.warning(
                "%d unreadable line(s) of the journal %s were kept aside in %s; "
                "`cadenza db doctor` shows them",
                keeper.kept,
                path,
                deadletter.dead_letter_path(keeper.home),
            )
    return offset


class Status(NamedTuple):
    """What is left to replay in a journal (`inspect`)."""

    offset: int
    size: int
    pending: int  # entries not yet replayed
    unreadable: int  # lines replay would keep aside (a torn last line counts once it is final)
    torn: bool  # it ends with an incomplete line
    offset_problem: str | None


def inspect(path: Path, *, writer_alive: bool) -> Status:
    """Read `path` from its resume offset without changing anything."""
    offset, problem = read_offset(path)
    pending = unreadable = 0
    torn = False
    for line in read_lines(path, offset, writer_alive=False):
        if line.problem == TORN:
            torn = True
            unreadable += not writer_alive
        elif line.entry is not None:
            pending += 1
        elif line.problem is not None:
            unreadable += 1
    return Status(offset, os.path.getsize(path), pending, unreadable, torn, problem)


__all__ = [
    "BAD_CHECKSUM",
    "NOT_ENTRY",
    "NOT_JSON",
    "NOT_UTF8",
    "OPS",
    "TORN",
    "Entry",
    "Line",
    "Status",
    "encode",
    "entry_problem",
    "inspect",
    "offset_path",
    "parse",
    "read_lines",
    "read_offset",
    "remove_offset",
    "replay_file",
    "resume_offset",
    "write_offset",
]
