"""Dead letters: what the record accepted but could not store, kept aside with the reason.

Nothing a run produced is dropped in silence. When a store refuses one record for good (a
server answering 422 for one log line, a row SQLite cannot bind, a journal line that no longer
parses), the record goes to ``$CADENZA_HOME/dead-letter.jsonl`` — one JSON object per line,
appended under an exclusive lock and fsync'd, mode 0600 — and `cadenza db doctor` shows it.

A line is ``{"time": epoch seconds, "pid": ..., "source": "embedded" | "server" | "journal",
"kind": "log" | "transition" | "task_run" | ... | "journal-line", "reason": "...",
"record": <the record as JSON, or the raw text>}``. Secret values registered for masking are
masked in the line before it is written.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

FILE_NAME = "dead-letter.jsonl"


def dead_letter_path(home: Path | None = None) -> Path:
    """The dead-letter file of `home` (default: ``CADENZA_HOME`` as it is now)."""
    if home is None:
        from cadenza.settings import spec

        home = spec.home_from()
    return Path(home) / FILE_NAME


def quarantine(source: str, kind: str, record: Any, reason: str, home: Path | None = None) -> Path:
    """Append one dead letter (see the module docstring); return the file's path."""
    from cadenza.blocks.masking import mask

    line = json.dumps(
        {
            "time": time.time(),
            "pid": os.getpid(),
            "source": source,
            "kind": kind,
            "reason": reason,
            "record": record,
        },
        default=repr,
    )
    data = mask(line).encode() + b"\n"  # ensure_ascii: lone surrogates travel as escapes
    path = dead_letter_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read_dead_letters(home: Path | None = None) -> list[dict[str, Any]]:
    """Every dead letter of `home`, oldest first; a line that does not parse is returned as
    ``{"kind": "unreadable", "reason": ..., "record": <its text>}``."""
    path = dead_letter_path(home)
    try:
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
            item = {"kind": "unreadable", "reason": f"unparsable line: {exc}",
                    "record": line.decode(errors="backslashreplace")}  # fmt: skip
        out.append(item)
    return out


__all__ = ["FILE_NAME", "dead_letter_path", "quarantine", "read_dead_letters"]
