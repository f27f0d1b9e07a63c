"""Dead letters: what the record accepted but could not store, kept aside with the reason.

Nothing a run produced is dropped in silence. When a store refuses one record for good (a
server answering 422 for one log line, a row SQLite cannot bind, a journal line that no longer
parses), the record goes to ``$CADENZA_HOME/dead-letter.jsonl`` — one JSON object per line,
appended and fsync'd, mode 0600 — and `cadenza db doctor` shows it. Every read, append and
archive holds an exclusive OS lock on ``dead-letter.lock`` beside it (the `filelock` library:
``flock`` on POSIX, ``LockFileEx`` on Windows), so no letter is half-written while it is read or
moved, and no file is renamed while another process has it open.

A line is ``{"time": epoch seconds, "pid": ..., "source": "embedded" | "server" | "journal",
"kind": "log" | "transition" | "task_run" | ... | "journal-line", "reason": "...",
"record": <the record as JSON, or the raw text>}``, plus ``"origin": {...}`` (where the record
was found, e.g. a journal's file and byte offset) when the caller gives one. Secret values
registered for masking are masked in the line before it is written. ``reason`` should be a
stable phrase (the doctor groups by it); put what varies per record in ``origin``.

`clear_dead_letters` acknowledges them: the file is renamed to a dated archive beside it,
``dead-letter.<UTC time>.jsonl``, which nothing reads again.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cadenza.masking import mask
from cadenza.settings import spec

FILE_NAME = "dead-letter.jsonl"
LOCK_NAME = "dead-letter.lock"


def dead_letter_path(home: Path | None = None) -> Path:
    """The dead-letter file of `home` (default: ``CADENZA_HOME`` as it is now)."""
    return Path(home if home is not None else spec.home_from()) / FILE_NAME


def quarantine(
    source: str,
    kind: str,
    record: Any,
    reason: str,
    home: Path | None = None,
    *,
    origin: dict[str, Any] | None = None,
) -> Path:
    """Append one dead letter (see the module docstring); return the file's path."""
    item: dict[str, Any] = {
        "time": time.time(),
        "pid": os.getpid(),
        "source": source,
        "kind": kind,
        "reason": reason,
        "record": record,
    }
    if origin is not None:
        item["origin"] = origin
    line = json.dumps(item, default=repr)
    data = mask(line).encode() + b"\n"  # ensure_ascii: lone surrogates travel as escapes
    path = dead_letter_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the dead-letter file `path` (blocking)."""
    # lazily: filelock costs tens of milliseconds to import; dead letters are rare
    from filelock import FileLock

    with FileLock(path.with_name(LOCK_NAME), mode=0o600):
        yield


def read_dead_letters(home: Path | None = None) -> list[dict[str, Any]]:
    """Every dead letter of `home`, oldest first; a line that does not parse is returned as
    ``{"kind": "unreadable", "reason": ..., "record": <its text>}``."""
    path = dead_letter_path(home)
    if not path.exists():
        return []
    try:
        with _locked(path):  # no half-written letter
            raw = path.read_bytes()
    except FileNotFoundError:
        return []
    out = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            item = None
            reason = f"unparsable line: {exc}"
        else:
            reason = "not a JSON object"
        if not isinstance(item, dict):
            item = {"kind": "unreadable", "reason": reason,
                    "record": line.decode(errors="backslashreplace")}  # fmt: skip
        out.append(item)
    return out


def clear_dead_letters(home: Path | None = None) -> tuple[Path, int] | None:
    """Acknowledge the dead letters of `home`: move the file to a dated archive beside it.
    Returns the archive's path and how many letters it holds, or None when there were none."""
    path = dead_letter_path(home)
    if not path.exists():
        return None
    with _locked(path):  # no letter is half-written while it moves
        try:
            count = sum(1 for line in path.read_bytes().splitlines() if line.strip())
        except FileNotFoundError:
            return None
        if count == 0:
            os.unlink(path)
            return None
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        archive = path.with_name(f"dead-letter.{stamp}.jsonl")
        n = 1
        while archive.exists():
            n += 1
            archive = path.with_name(f"dead-letter.{stamp}-{n}.jsonl")
        os.rename(path, archive)
        return archive, count


__all__ = [
    "FILE_NAME",
    "clear_dead_letters",
    "dead_letter_path",
    "quarantine",
    "read_dead_letters",
]
