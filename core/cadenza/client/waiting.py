"""What waits in the journals for a server: how many records, of which kinds, since when, where.

Read without changing anything (`cadenza.client.journal.read_lines` from each file's replay
offset), for the lines a run prints while the server is unreachable and for
``cadenza journal ls``. A *record* is one thing the server will store: a flow run, a state, a
task run, a log line, an artifact, a cache entry, an event; one journal entry (a request) holds
one or, for a batch, many.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from cadenza.client import journal, spool

#: Kinds of record, in the order they are shown; a batch's lists keep their wire names.
KINDS = ("flow_runs", "flow_run_states", "task_runs", "transitions", "logs", "artifacts",
         "artifact_updates", "cache_entries", "events")  # fmt: skip


class JournalFile(NamedTuple):
    """One journal file and what waits in it."""

    path: Path
    tag: str  # the server it was written for (`cadenza.client.spool.server_tag`)
    pid: int | None
    writing: bool  # its process is alive (or another one replays it): not flushed now
    entries: int
    records: int
    kinds: dict[str, int]
    oldest: float | None  # the earliest timestamp among its records
    unreadable: int


class Waiting(NamedTuple):
    """Every journal of a spool directory, for one server (`tag`) or all."""

    directory: Path
    files: list[JournalFile]

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def entries(self) -> int:
        return sum(f.entries for f in self.files)

    @property
    def kinds(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.kinds)
        return {k: total[k] for k in KINDS if total[k]}

    @property
    def oldest(self) -> float | None:
        found = [f.oldest for f in self.files if f.oldest is not None]
        return min(found) if found else None


def _entry_records(entry: dict[str, Any], kinds: Counter[str]) -> float | None:
    """Count the records of one entry into `kinds`; return the earliest timestamp in it."""
    op, body = entry["op"], entry["body"]
    stamps: list[float] = []

    def stamp(value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            stamps.append(float(value))

    if op == "flow_run":
        kinds["flow_runs"] += 1
        stamp(body.get("created"))
    elif op == "set_state":
        kinds["flow_run_states"] += 1
        stamp((body.get("state") or {}).get("timestamp"))
    else:
        for name in KINDS[2:]:
            rows = body.get(name)
            if not isinstance(rows, list) or not rows:
                continue
            kinds[name] += len(rows)
            for row in rows[:1] + rows[-1:]:  # rows are queued in order: the first is oldest
                if isinstance(row, dict):
                    stamp(row.get("created") or row.get("timestamp"))
                    stamp((row.get("state") or {}).get("timestamp"))
    return min(stamps) if stamps else None


def read_file(path: Path) -> JournalFile:
    """What waits in the journal `path` (from its replay offset)."""
    info = spool.describe(path)
    kinds: Counter[str] = Counter()
    entries = 0
    oldest: float | None = None
    unreadable = 0
    with contextlib.suppress(FileNotFoundError):
        for line in journal.read_lines(path, info.status.offset, writer_alive=info.owner_alive):
            if line.entry is not None:
                entries += 1
                first = _entry_records(line.entry, kinds)
                if first is not None and (oldest is None or first < oldest):
                    oldest = first
            elif line.problem is not None:
                unreadable += 1
    return JournalFile(
        path, info.tag, info.pid, info.owner_alive, entries, sum(kinds.values()), dict(kinds),
        oldest, unreadable,
    )  # fmt: skip


def waiting(directory: Path | None = None, tag: str | None = None) -> Waiting:
    """The journals in `directory` (default ``$CADENZA_HOME/spool``) — those written for the
    server `tag` only, when given — and what waits in each, oldest file first."""
    directory = directory if directory is not None else spool.spool_dir()
    files = []
    for path in spool.journal_files(directory):
        if tag is not None and not path.name.startswith(f"{tag}-"):
            continue
        with contextlib.suppress(FileNotFoundError):
            found = read_file(path)
            if found.entries or found.unreadable:
                files.append(found)
    return Waiting(directory, files)


def iso(ts: float | None) -> str | None:
    """A timestamp as ISO 8601 UTC (``2026-12-06T23:40:00Z``)."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def records_phrase(count: int) -> str:
    return f"{count} record{'' if count == 1 else 's'}"


__all__ = ["KINDS", "JournalFile", "Waiting", "iso", "read_file", "records_phrase", "waiting"]
