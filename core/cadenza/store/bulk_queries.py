"""Which flow runs a bulk action applies to: those matching a dashboard filter
(`cadenza.store.ui_queries.RunFilter`, the runs list's), or those named by id.

Both reads are bounded: at most ``cap`` runs are chosen (newest created first), and the match
count stops one past the cap (a ``LIMIT`` subquery, never an unbounded COUNT), so the answer can
say it was capped. The action itself goes run by run through the single-run code paths
(`cadenza.store.run_control`, `run_deletion`, `run_retry`), never through SQL here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from cadenza.store.sql import CHUNK
from cadenza.store.tables import flow_runs
from cadenza.store.ui_queries import RunFilter, run_conditions


@dataclass(frozen=True)
class Chosen:
    """The runs a bulk action applies to: ``runs`` as ``(id, name)``, newest created first;
    ``matched`` of them at most ``cap`` (``capped`` when more matched)."""

    runs: list[tuple[str, str]]
    matched: int
    capped: bool


def matching_runs(conn: sa.Connection, where: RunFilter, cap: int) -> Chosen:
    """The newest `cap` flow runs matching `where`. LookupError for an unknown deployment."""
    conditions = run_conditions(conn, where)
    rows = conn.execute(
        sa.select(flow_runs.c.id, flow_runs.c.name)
        .where(*conditions)
        .order_by(flow_runs.c.created.desc(), flow_runs.c.id.desc())
        .limit(cap + 1)
    ).all()
    runs = [(str(i), str(n)) for i, n in rows]
    return Chosen(runs=runs[:cap], matched=min(len(runs), cap), capped=len(runs) > cap)


def named_runs(conn: sa.Connection, ids: Sequence[str]) -> dict[str, str]:
    """The name of each of the flow runs `ids` the record holds."""
    wanted = list(dict.fromkeys(ids))
    names: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = sa.select(flow_runs.c.id, flow_runs.c.name).where(flow_runs.c.id.in_(chunk))
        names.update((str(i), str(n)) for i, n in conn.execute(query))
    return names


__all__ = ["Chosen", "matching_runs", "named_runs"]
