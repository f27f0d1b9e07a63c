"""Deleting flow runs with everything recorded under them: ``cadenza runs delete``, the
server's delete routes, and the flow-run TTL of retention (`cadenza.store.retention`).

Written once over `SqlDatabase` — the embedded record's file, or a server's SQLite or PostgreSQL
database.

What goes with a flow run: its task runs, every state transition of both (``run_states``), its
log lines, artifacts and flow-run inputs, and its subflow runs (the runs whose
``parent_flow_run_id`` names it, and theirs, as deep as they go: a subflow run is part of its
parent's run). Events stay (they have their own TTL), and so do cache entries (keyed by their
inputs, not by a run). With ``results``, the result references that no remaining row uses any
more are handed back, for the caller to delete the files (`cadenza.results.discard`): the
database never decides which files a process removes.

In-progress safety: a tree holding a run that is not in a final state (Completed, Failed,
Crashed, Cancelled) is skipped unless ``force``. Every transaction reads again (on PostgreSQL:
locks) the runs it deletes under, so a run that left its final state meanwhile is never
half-deleted; a run's rows go before the run itself, so an interrupted delete leaves a run that
the next one finishes, never an orphan.

Batches: a transaction removes at most ``batch`` rows. On SQLite, whose waiting writers poll for
the lock (sleeping up to 100 ms between tries), each transaction is followed by a pause at least
as long as it held the lock (`Pacer`), so a writer meanwhile waits about one batch at most.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cadenza.states import TERMINAL_STATES
from cadenza.store.queries import VALID_STATE_TYPES
from cadenza.store.sql import CHUNK, SqlDatabase
from cadenza.store.tables import (
    artifacts,
    cache_entries,
    flow_run_inputs,
    flow_runs,
    logs,
    run_states,
    task_runs,
)

FINAL = tuple(sorted(t.value for t in TERMINAL_STATES))
DEFAULT_BATCH = 5000
"""Rows removed per transaction."""
MAX_BATCH = 50_000
CHILDREN = (run_states, logs, artifacts, flow_run_inputs, task_runs)
"""What is recorded under a flow run, by ``flow_run_id``; deleted before the run."""
COUNTED = ("flow_runs", *(t.name for t in CHILDREN))
PAGE = 500
"""Runs chosen by a filter, read (and deleted) at a time."""
NOT_FINAL = sa.or_(flow_runs.c.state_type.is_(None), flow_runs.c.state_type.not_in(FINAL))

_GROUP = 200  # flow runs deleted together
_MIN_PAUSE = 0.11  # seconds: longer than the longest sleep of SQLite's busy handler (100 ms)


class Pacer:
    """Leaves SQLite's write lock free between two transactions of one delete, for at least as
    long as the previous one held it (see the module docstring). On PostgreSQL, which locks
    rows, writers of other rows never wait for a delete: no pause."""

    def __init__(self, db: SqlDatabase) -> None:
        self.sqlite = db.sqlite_path is not None
        self.free_until = 0.0
        self.started = 0.0

    def __enter__(self) -> None:
        if self.sqlite:
            time.sleep(max(0.0, self.free_until - time.monotonic()))
        self.started = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        ended = time.monotonic()
        self.free_until = ended + max(_MIN_PAUSE, ended - self.started)


@dataclass
class Deletion:
    """What a delete removed (or, for a dry run, would remove)."""

    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"id", "reason"}
    missing: list[str] = field(default_factory=list)
    result_refs: list[str] = field(default_factory=list)
    cursor: str | None = None  # where a limited delete by filter goes on; None: done

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "deleted": self.counts, "skipped": self.skipped,
                "missing": self.missing, "result_refs": self.result_refs,
                "cursor": self.cursor}  # fmt: skip


def delete_flow_runs(
    db: SqlDatabase,
    ids: Sequence[str] = (),
    *,
    older_than: float | None = None,
    states: Iterable[str] = (),
    flow_name: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    results: bool = False,
    limit: int | None = None,
    after: str | None = None,
    batch: int = DEFAULT_BATCH,
    now: float | None = None,
) -> Deletion:
    """Delete the flow runs `ids` (full ids), or — with no ids — the top-level runs that match
    every filter given (ended, or if unfinished created, more than `older_than` seconds ago; in
    one of the state types `states`; of flow `flow_name`); each with its subflow runs and
    everything recorded under them (see the module docstring). Given ids and filters, only the
    ids that match are deleted.

    A limited delete by filter (`limit` top-level runs) answers a `Deletion.cursor` to pass as
    `after` to go on. `ValueError` for a bad filter, or for neither ids nor a filter.
    """
    states = _state_types(states)
    if not ids and older_than is None and not states and flow_name is None:
        raise ValueError("Name the flow runs to delete: give their ids or a filter")
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch must be between 1 and {MAX_BATCH}")
    now = time.time() if now is None else now
    match = _matches(older_than, states, flow_name, now)
    report, refs, pacer = Deletion(dry_run=dry_run), set[str](), Pacer(db)
    if ids:
        wanted = list(dict.fromkeys(ids))
        roots = _existing(db, wanted, match)
        report.missing = [i for i in wanted if i not in roots and not _exists(db, i)]
        _delete_roots(
            db, [i for i in wanted if i in roots], force, dry_run, batch, report, refs, pacer
        )
    else:
        left = limit
        while left is None or left > 0:
            size = PAGE if left is None else min(PAGE, left)
            page = _top_level(db, match if force else sa.and_(match, ~NOT_FINAL), after, size)
            if not page:
                after = None
                break
            _delete_roots(db, page, force, dry_run, batch, report, refs, pacer)
            after = page[-1]
            left = None if left is None else left - len(page)
            if len(page) < size:
                after = None
                break
        report.cursor = after
    if results and refs:
        report.result_refs = _unreferenced(db, refs) if not dry_run else sorted(refs)
    return report


def _state_types(states: Iterable[str]) -> list[str]:
    chosen = []
    for value in states:
        normal = str(value).strip().upper()
        if normal not in VALID_STATE_TYPES:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
            raise ValueError(
                f"Unknown state type {shown}; expected one of: {' '.join(VALID_STATE_TYPES)}"
            )
        chosen.append(normal)
    return chosen


def _matches(
    older_than: float | None, states: list[str], flow_name: str | None, now: float
) -> sa.ColumnElement[bool]:
    fr = flow_runs.c
    clauses: list[sa.ColumnElement[bool]] = [sa.true()]
    if older_than is not None:
        clauses.append(sa.func.coalesce(fr.end_time, fr.created) < now - older_than)
    if states:
        clauses.append(fr.state_type.in_(states))
    if flow_name is not None:
        clauses.append(fr.flow_name == flow_name)
    return sa.and_(*clauses)


def _existing(db: SqlDatabase, ids: list[str], match: sa.ColumnElement[bool]) -> set[str]:
    found: set[str] = set()
    with db.read() as conn:
        for start in range(0, len(ids), CHUNK):
            query = sa.select(flow_runs.c.id).where(flow_runs.c.id.in_(ids[start : start + CHUNK]))
            found.update(conn.execute(query.where(match)).scalars())
    return found


def _exists(db: SqlDatabase, run_id: str) -> bool:
    with db.read() as conn:
        query = sa.select(flow_runs.c.id).where(flow_runs.c.id == run_id)
        return conn.execute(query).first() is not None


def _top_level(
    db: SqlDatabase, match: sa.ColumnElement[bool], after: str | None, size: int
) -> list[str]:
    """A page of runs matching `match` that have no parent (or whose parent is gone), by id."""
    parent = flow_runs.alias("parent")
    orphan = ~sa.exists(sa.select(parent.c.id).where(parent.c.id == flow_runs.c.parent_flow_run_id))
    query = sa.select(flow_runs.c.id).where(
        match, sa.or_(flow_runs.c.parent_flow_run_id.is_(None), orphan)
    )
    if after is not None:
        query = query.where(flow_runs.c.id > after)
    with db.read() as conn:
        return list(conn.execute(query.order_by(flow_runs.c.id).limit(size)).scalars())


def _trees(db: SqlDatabase, roots: list[str]) -> dict[str, list[tuple[str, str | None]]]:
    """Each existing root's tree as (id, state type), deepest runs first, the root last."""
    members: dict[str, list[tuple[int, str, str | None]]] = {}
    owner: dict[str, tuple[str, int]] = {}  # run -> (root, depth)
    with db.read() as conn:
        for start in range(0, len(roots), CHUNK):
            query = sa.select(flow_runs.c.id, flow_runs.c.state_type)
            for run_id, state in conn.execute(
                query.where(flow_runs.c.id.in_(roots[start : start + CHUNK]))
            ):
                members[run_id] = [(0, run_id, state)]
                owner[run_id] = (run_id, 0)
        frontier = list(members)
        while frontier:
            found: list[str] = []
            for start in range(0, len(frontier), CHUNK):
                query = sa.select(
                    flow_runs.c.id, flow_runs.c.parent_flow_run_id, flow_runs.c.state_type
                ).where(flow_runs.c.parent_flow_run_id.in_(frontier[start : start + CHUNK]))
                for row in conn.execute(query):
                    if row.id in owner:  # a root given too, or a cycle of parents
                        continue
                    root, depth = owner[row.parent_flow_run_id]
                    owner[row.id] = (root, depth + 1)
                    members[root].append((depth + 1, row.id, row.state_type))
                    found.append(row.id)
            frontier = found
    return {
        root: [(run_id, state) for _, run_id, state in sorted(tree, key=lambda m: -m[0])]
        for root, tree in members.items()
    }


def _delete_roots(
    db: SqlDatabase, roots: list[str], force: bool, dry_run: bool, batch: int,
    report: Deletion, refs: set[str], pacer: Pacer,
) -> None:  # fmt: skip
    doomed: list[str] = []
    for root, tree in _trees(db, roots).items():
        active = [(i, s) for i, s in tree if s not in FINAL]
        if active and not force:
            run_id, state = active[0]
            what = "it is" if run_id == root else f"its subflow run {run_id} is"
            report.skipped.append({"id": root, "reason": f"{what} {state or 'not started'}, "
                                   "not in a final state; force deletes it anyway"})  # fmt: skip
            continue
        doomed.extend(i for i, _ in tree)
    for start in range(0, len(doomed), _GROUP):
        group = doomed[start : start + _GROUP]
        if dry_run:
            _count(db, group, report, refs)
        else:
            _delete_group(db, group, force, batch, report, refs, pacer)


def _count(db: SqlDatabase, ids: list[str], report: Deletion, refs: set[str]) -> None:
    with db.read() as conn:
        report.counts["flow_runs"] += len(ids)
        for table in CHILDREN:
            query = sa.select(sa.func.count()).where(table.c.flow_run_id.in_(ids))
            report.counts[table.name] += conn.execute(query).scalar_one()
        for table, key in ((task_runs, task_runs.c.flow_run_id), (flow_runs, flow_runs.c.id)):
            query = sa.select(table.c.result_ref).where(
                key.in_(ids), table.c.result_ref.is_not(None)
            )
            refs.update(str(ref) for ref in conn.execute(query).scalars())


def _delete_group(
    db: SqlDatabase, ids: list[str], force: bool, batch: int, report: Deletion, refs: set[str],
    pacer: Pacer,
) -> None:  # fmt: skip
    """Delete the flow runs `ids` (one group) and their rows, `batch` rows per transaction."""
    pending = sorted(ids)  # one lock order
    while pending:
        with pacer, db.write() as conn:
            rows = conn.execute(
                sa.select(flow_runs.c.id, flow_runs.c.state_type)
                .where(flow_runs.c.id.in_(pending))
                .order_by(flow_runs.c.id)
                .with_for_update()
            ).all()
            alive = [i for i, state in rows if force or state in FINAL]
            for run_id, state in rows:
                if run_id not in alive:
                    report.skipped.append({"id": run_id, "reason": f"it became {state or 'active'}"
                                           " while being deleted"})  # fmt: skip
            budget = batch
            for table in CHILDREN:
                if not alive or budget <= 0:
                    break
                budget -= _delete_children(conn, table, alive, budget, report, refs)
            if alive and budget > 0:  # every child row is gone: the runs themselves go
                query = sa.select(flow_runs.c.result_ref).where(flow_runs.c.id.in_(alive))
                refs.update(r for r in conn.execute(query).scalars() if r is not None)
                gone = conn.execute(flow_runs.delete().where(flow_runs.c.id.in_(alive)))
                report.counts["flow_runs"] += gone.rowcount
                alive = []
        pending = alive


def _delete_children(
    conn: sa.Connection, table: sa.Table, run_ids: list[str], budget: int,
    report: Deletion, refs: set[str],
) -> int:  # fmt: skip
    """Delete at most `budget` of `table`'s rows under the runs `run_ids`; how many went."""
    key = table.primary_key.columns.values()[0]
    chosen = sa.select(key).where(table.c.flow_run_id.in_(run_ids)).order_by(key).limit(budget)
    if table is task_runs:  # the same rows as the delete below: one transaction
        query = sa.select(task_runs.c.result_ref).where(
            task_runs.c.id.in_(chosen), task_runs.c.result_ref.is_not(None)
        )
        refs.update(conn.execute(query).scalars())
    removed = conn.execute(table.delete().where(key.in_(chosen))).rowcount
    report.counts[table.name] += removed
    return removed


def _unreferenced(db: SqlDatabase, refs: set[str]) -> list[str]:
    """The result references in `refs` that no remaining run or cache entry uses."""
    wanted = sorted(refs)
    used: set[str] = set()
    with db.read() as conn:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for table in (task_runs, flow_runs, cache_entries):
                query = sa.select(table.c.result_ref).where(table.c.result_ref.in_(chunk))
                used.update(conn.execute(query).scalars())
    return [r for r in wanted if r not in used]


__all__ = [
    "CHILDREN",
    "COUNTED",
    "DEFAULT_BATCH",
    "FINAL",
    "MAX_BATCH",
    "NOT_FINAL",
    "PAGE",
    "Deletion",
    "Pacer",
    "delete_flow_runs",
]
