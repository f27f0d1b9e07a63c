"""Retention: the per-table TTLs (``CADENZA_RETENTION_*``) that ``cadenza db clean`` and the
server's retention service apply, over `SqlDatabase` (the embedded record, or a server's SQLite
or PostgreSQL database).

Flow runs older than their TTL go as `cadenza.store.run_deletion` deletes them (with their
subflow runs and everything recorded under them; runs that are not final stay). Log lines,
events and artifacts older than theirs go by themselves, a batch of rows per short transaction:
the keys of a batch are found by a read (which blocks no writer), then their key range is
deleted. Log lines and artifacts of a run that is not final stay whatever their age.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from cadenza.settings import spec
from cadenza.store.run_deletion import (
    COUNTED,
    DEFAULT_BATCH,
    NOT_FINAL,
    PAGE,
    Pacer,
    delete_flow_runs,
)
from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import artifacts, events, flow_runs, logs

SETTINGS = {
    "flow_runs": "CADENZA_RETENTION_FLOW_RUNS",
    "logs": "CADENZA_RETENTION_LOGS",
    "events": "CADENZA_RETENTION_EVENTS",
    "artifacts": "CADENZA_RETENTION_ARTIFACTS",
}
"""The tables retention applies to, and the setting holding each one's TTL."""

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d{1,12}(?:\.\d{1,9})?)\s*([smhdw]?)")


def parse_duration(value: object, what: str = "duration") -> float | None:
    """Seconds in ``"30d"``, ``"12h"``, ``"90m"``, ``"45s"``, ``"2w"`` or a plain number of
    seconds; None for None, ``""`` and ``"off"``. `ValueError` naming `what` otherwise."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off")):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.fullmatch(str(value).strip().lower()) if isinstance(value, str) else None
        if match is None:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
            raise ValueError(
                f"{what}: {shown} is not a duration; write e.g. 30d, 12h, 90m, 45s or a number "
                "of seconds"
            )
        seconds = float(match[1]) * _UNITS[match[2]]
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{what}: a duration must be a finite number of seconds, at least 0")
    return seconds


def policy_from_settings() -> dict[str, float]:
    """Each table's TTL in seconds, from its ``CADENZA_RETENTION_*`` setting; tables whose TTL is
    off (unset, empty, 0) are left out."""
    policy = {}
    for table, name in SETTINGS.items():
        seconds = parse_duration(spec.get(name), name)
        if seconds:
            policy[table] = seconds
    return policy


def clean(
    db: SqlDatabase,
    policy: dict[str, float] | None = None,
    *,
    dry_run: bool = False,
    results: bool = False,
    batch: int = DEFAULT_BATCH,
    now: float | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Apply the TTLs of `policy` (table -> seconds; default `policy_from_settings`): delete the
    flow runs (as `delete_flow_runs` does), log lines, events and artifacts older than theirs.
    Log lines and artifacts of a run that is not final stay. Stops between batches once
    `stopping()` is true. Returns ``{"policy", "deleted": {table: rows}, "result_refs",
    "skipped"}``."""
    policy = policy_from_settings() if policy is None else policy
    unknown = sorted(set(policy) - set(SETTINGS))
    if unknown:
        raise ValueError(
            f"No retention for table(s) {', '.join(unknown)}; known: {', '.join(SETTINGS)}"
        )
    now = time.time() if now is None else now
    deleted = dict.fromkeys(COUNTED, 0) | {"events": 0}
    answer: dict[str, Any] = {"policy": policy, "dry_run": dry_run, "deleted": deleted,
                              "result_refs": [], "skipped": []}  # fmt: skip
    if "flow_runs" in policy:
        cursor: str | None = None
        while not stopping():
            report = delete_flow_runs(db, older_than=policy["flow_runs"], dry_run=dry_run,
                                      results=results, limit=PAGE, after=cursor, batch=batch,
                                      now=now)  # fmt: skip
            for name, count in report.counts.items():
                deleted[name] += count
            answer["result_refs"].extend(report.result_refs)
            answer["skipped"].extend(report.skipped)
            cursor = report.cursor
            if cursor is None:
                break
    guarded = {"logs": (logs, logs.c.id, logs.c.timestamp, True),
               "events": (events, events.c.seq, events.c.occurred, False),
               "artifacts": (artifacts, artifacts.c.id, artifacts.c.created, True)}  # fmt: skip
    for name, (table, key, stamp, of_runs) in guarded.items():
        if name in policy and not stopping():
            cutoff = now - policy[name]
            deleted[name] += _expire(
                db, table, key, stamp, cutoff, of_runs, dry_run, batch, stopping
            )
    return answer


def _expire(
    db: SqlDatabase, table: sa.Table, key: sa.Column[Any], stamp: sa.Column[Any], cutoff: float,
    of_runs: bool, dry_run: bool, batch: int, stopping: Callable[[], bool],
) -> int:  # fmt: skip
    """Delete `table`'s rows stamped before `cutoff` (those of a run that is not final stay):
    find a batch of keys in a read, then delete their key range in a short write."""
    due: sa.ColumnElement[bool] = stamp < cutoff
    if of_runs:
        active = sa.select(flow_runs.c.id).where(flow_runs.c.id == table.c.flow_run_id, NOT_FINAL)
        due = sa.and_(due, sa.or_(table.c.flow_run_id.is_(None), ~sa.exists(active)))
    if dry_run:
        with db.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(due)).scalar_one())
    removed, after, pacer = 0, None, Pacer(db)
    while not stopping():
        query = sa.select(key).where(due).order_by(key).limit(batch)
        if after is not None:
            query = query.where(key > after)
        with db.read() as conn:
            keys = list(conn.execute(query).scalars())
        if not keys:
            break
        with pacer, db.write() as conn:
            span = sa.and_(key >= keys[0], key <= keys[-1])
            removed += conn.execute(table.delete().where(span, due)).rowcount
        after = keys[-1]
    return removed


__all__ = ["SETTINGS", "clean", "parse_duration", "policy_from_settings"]
