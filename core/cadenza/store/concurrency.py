"""Concurrency limits and their leases in the record: the functions the server's routes and the
embedded record (`cadenza.concurrency`) both call, each inside one write or read transaction.

A limit (``concurrency_limits``) allows ``slot_limit`` slots at once. Slots are taken by leases
(``concurrency_leases``: one row per limit a lease holds slots of). A *held* lease counts its
slots until ``expires``, which its holder pushes back while it holds them (`renew`); a holder
that dies frees them when its lease expires, with nobody releasing anything. A limit with
``slot_decay_per_second`` d > 0 is also a rate limit, a leaky bucket: a rate-limited
acquisition's lease is *decaying* — never renewed, never released — and its k slots occupy the
limit from the later of now and the latest expiry of the limit's decaying leases until k/d
seconds after that, freeing one every 1/d seconds (taking 10 slots at once with d = 1 frees one
a second, so the sustained rate is d). A held lease released on such a limit decays the same way.

`acquire` is atomic: on PostgreSQL the limits' rows are locked (``SELECT ... FOR UPDATE``, in
name order, so two acquisitions never deadlock); on SQLite the transaction began with ``BEGIN
IMMEDIATE`` (`cadenza.store.sql.SqlDatabase.write`), so writers take turns. `renew` and
`release` lock the same rows, so a lease cannot be renewed after an acquisition counted it as
expired. Names are checked by `check_name`: a bad one is a ValueError naming the problem.

Importing this module imports SQLAlchemy.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cadenza._ids import new_id
from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.store import slot_usage as usage
from cadenza.store.limit_values import (
    MAX_NAME,
    MAX_SLOTS,
    check_decay,
    check_name,
    check_slot_limit,
)
from cadenza.store.tables import concurrency_leases as leases
from cadenza.store.tables import concurrency_limits as limits

TAG_PREFIX = "tag:"
"""A tag limit is the global limit named ``tag:<tag>`` (as Prefect 3 names them)."""


@dataclass
class Outcome:
    """What `acquire` did. `granted`: the slots are taken (`lease_id` None when none of the
    names is an active limit: there was nothing to take). Otherwise `blocked` names the limits
    without room and `retry_at` is the earliest time they could all have it if nothing else
    changes (None: unknown)."""

    granted: bool
    lease_id: str | None = None
    limits: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    retry_at: float | None = None
    expires: float | None = None

    def answer(self) -> dict[str, Any]:
        return {"lease_id": self.lease_id, "limits": self.limits, "missing": self.missing,
                "expires": self.expires}  # fmt: skip


# -- limits -----------------------------------------------------------------------------------
def create_limit(
    conn: sa.Connection, name: str, limit: int, active: bool = True,
    slot_decay_per_second: float = 0.0, now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Create a limit; `ObjectAlreadyExists` if the name is taken."""
    now = time.time() if now is None else now
    values = {
        "name": check_name(name),
        "slot_limit": check_slot_limit(limit),
        "active": bool(active),
        "slot_decay_per_second": check_decay(slot_decay_per_second),
    }
    if conn.execute(sa.select(limits.c.id).where(limits.c.name == name)).first() is not None:
        raise ObjectAlreadyExists(f"a concurrency limit named {name!r} exists")
    conn.execute(limits.insert().values(id=new_id(), created=now, updated=now, **values))
    return read_limit(conn, name, now)


def update_limit(
    conn: sa.Connection, name: str, limit: int | None = None, active: bool | None = None,
    slot_decay_per_second: float | None = None, now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Change what is given; `ObjectNotFound` if there is no such limit. Slots already held
    stay held when a limit is lowered: new acquisitions wait until the count is under it."""
    now = time.time() if now is None else now
    values: dict[str, Any] = {"updated": now}
    if limit is not None:
        values["slot_limit"] = check_slot_limit(limit)
    if active is not None:
        values["active"] = bool(active)
    if slot_decay_per_second is not None:
        values["slot_decay_per_second"] = check_decay(slot_decay_per_second)
    if conn.execute(limits.update().where(limits.c.name == name).values(values)).rowcount == 0:
        raise ObjectNotFound(f"no concurrency limit named {name!r}")
    return read_limit(conn, name, now)


def delete_limit(conn: sa.Connection, name: str, now: float | None = None) -> dict[str, Any]:
    """Delete a limit and its leases; returns it as it was."""
    limit = read_limit(conn, name, now)
    conn.execute(leases.delete().where(leases.c.limit_name == name))
    conn.execute(limits.delete().where(limits.c.name == name))
    return limit


def reset_limit(conn: sa.Connection, name: str, now: float | None = None) -> dict[str, Any]:
    """Free every slot of a limit (its leases are dropped; their holders lose them)."""
    read_limit(conn, name, now)
    conn.execute(leases.delete().where(leases.c.limit_name == name))
    return read_limit(conn, name, now)


def read_limit(conn: sa.Connection, name: str, now: float | None = None) -> dict[str, Any]:
    """One limit with ``active_slots`` and its unexpired ``leases`` (holders); `ObjectNotFound`."""
    now = time.time() if now is None else now
    row = conn.execute(sa.select(limits).where(limits.c.name == name)).first()
    if row is None:
        raise ObjectNotFound(f"no concurrency limit named {name!r}")
    held = _leases_of(conn, [name], now).get(name, [])
    out = _limit_out(row, held, now)
    out["leases"] = [
        {"id": r.id, "slots": r.slots, "decaying": bool(r.decaying), "expires": r.expires,
         "created": r.created, "holder": json.loads(r.holder or "{}")}
        for r in sorted(held, key=lambda r: r.created)
    ]  # fmt: skip
    return out


def list_limits(
    conn: sa.Connection, prefix: str | None = None, limit: int = 200, offset: int = 0,
    now: float | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Limits by name (those whose name starts with `prefix`), each with ``active_slots``."""
    now = time.time() if now is None else now
    query = sa.select(limits).order_by(limits.c.name).limit(limit).offset(offset)
    if prefix:
        query = query.where(sa.func.substr(limits.c.name, 1, len(prefix)) == prefix)
    rows = conn.execute(query).all()
    held = _leases_of(conn, [r.name for r in rows], now)
    return [_limit_out(r, held.get(r.name, []), now) for r in rows]


def limited_tags(conn: sa.Connection) -> list[str]:
    """The tags that have an active limit (``tag:<tag>``)."""
    column = limits.c.name
    query = sa.select(column).where(
        limits.c.active, sa.func.substr(column, 1, len(TAG_PREFIX)) == TAG_PREFIX
    )
    return sorted(name[len(TAG_PREFIX) :] for name in conn.execute(query).scalars())


def _limit_out(row: Any, held: Sequence[Any], now: float) -> dict[str, Any]:
    used = usage.held(held, now) + usage.level(held, row.slot_decay_per_second, now)
    return {"id": row.id, "name": row.name, "limit": row.slot_limit, "active": bool(row.active),
            "slot_decay_per_second": row.slot_decay_per_second,
            "active_slots": math.ceil(used - usage.EPSILON), "created": row.created,
            "updated": row.updated}  # fmt: skip


def _leases_of(conn: sa.Connection, names: Sequence[str], now: float) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for start in range(0, len(names), 500):
        query = sa.select(leases).where(
            leases.c.limit_name.in_(names[start : start + 500]), leases.c.expires > now
        )
        for row in conn.execute(query):
            out.setdefault(row.limit_name, []).append(row)
    return out


# -- leases -----------------------------------------------------------------------------------
def acquire(
    conn: sa.Connection, dialect: str, names: Iterable[str], slots: int, *,
    mode: str = "concurrency", lease_seconds: float = 30.0,
    holder: dict[str, Any] | None = None, now: float | None = None,
) -> Outcome:  # fmt: skip
    """Take `slots` of every active limit named, all or none (see the module docstring).

    Names with no limit are left out (`Outcome.missing`); an inactive limit takes nothing.
    ValueError when a limit is smaller than `slots` (it could never be granted) or, in
    ``rate_limit`` mode, when a limit has no slot decay.
    """
    now = time.time() if now is None else now
    wanted = _wanted(names, slots, mode)
    rows = _locked(conn, dialect, wanted)
    active = [r for r in rows if r.active]
    if active:
        expired = leases.c.limit_name.in_([r.name for r in active]), leases.c.expires <= now
        conn.execute(leases.delete().where(*expired))
    outcome, held = _assess(conn, wanted, rows, slots, mode, now)
    if outcome.granted or outcome.blocked:
        return outcome
    lease_id = new_id()
    text = json.dumps(holder or {})
    values = []
    for r in active:
        if mode == "rate_limit":
            start = usage.drained(held.get(r.name, []), now)
            expires, decaying = start + slots / r.slot_decay_per_second, True
        else:
            expires, decaying = now + lease_seconds, False
        values.append({"id": lease_id, "limit_name": r.name, "slots": slots, "decaying": decaying,
                       "holder": text, "expires": expires, "created": now})  # fmt: skip
    conn.execute(leases.insert(), values)
    outcome.granted, outcome.lease_id = True, lease_id
    outcome.expires = min(v["expires"] for v in values)
    return outcome


def peek(
    conn: sa.Connection, names: Iterable[str], slots: int, *, mode: str = "concurrency",
    now: float | None = None,
) -> Outcome:  # fmt: skip
    """What `acquire` would answer now, read without taking a lock or writing: blocked (with
    `Outcome.retry_at`), or not (``blocked`` empty: call `acquire`, which decides). A waiter
    looks first, so that the many who would fail do not queue for the write lock."""
    now = time.time() if now is None else now
    wanted = _wanted(names, slots, mode)
    query = sa.select(limits).where(limits.c.name.in_(wanted))
    outcome, _held = _assess(conn, wanted, conn.execute(query).all(), slots, mode, now)
    outcome.granted = False
    return outcome


def _wanted(names: Iterable[str], slots: int, mode: str) -> list[str]:
    wanted = sorted({check_name(n) for n in names})
    if not wanted:
        raise ValueError("name at least one concurrency limit")
    if isinstance(slots, bool) or not isinstance(slots, int) or not 1 <= slots <= MAX_SLOTS:
        raise ValueError(f"slots to occupy must be a whole number from 1 to {MAX_SLOTS}")
    if mode not in ("concurrency", "rate_limit"):
        raise ValueError(f"mode must be 'concurrency' or 'rate_limit', not {mode!r}")
    return wanted


def _assess(
    conn: sa.Connection, names: list[str], rows: Sequence[Any], slots: int, mode: str,
    now: float,
) -> tuple[Outcome, dict[str, list[Any]]]:  # fmt: skip
    """The outcome of taking `slots` of the limits `rows` before anything is written: granted
    (nothing to take), blocked, or neither (the slots fit); and the limits' live leases."""
    found = {r.name for r in rows}
    outcome = Outcome(
        granted=False,
        missing=[n for n in names if n not in found],
        limits=[{"id": r.id, "name": r.name, "limit": r.slot_limit} for r in rows],
    )
    active = [r for r in rows if r.active]
    small = [f"{r.name!r} ({r.slot_limit})" for r in active if r.slot_limit < slots]
    if small:
        raise ValueError(f"{slots} slot(s) requested, more than the limit of {', '.join(small)}")
    plain = [r.name for r in active if r.slot_decay_per_second <= 0]
    if mode == "rate_limit" and plain:
        raise ValueError(
            "only concurrency limits with slot decay can be used for rate limiting; these "
            f"have none: {', '.join(map(repr, plain))}"
        )
    if not active:
        outcome.granted = True
        return outcome, {}
    held = _leases_of(conn, [r.name for r in active], now)
    waits: list[float] = []
    for r in active:
        mine = held.get(r.name, [])
        used = usage.held(mine, now) + usage.level(mine, r.slot_decay_per_second, now)
        if used + slots > r.slot_limit + usage.EPSILON:
            outcome.blocked.append(r.name)
            at = usage.room_at(mine, r.slot_limit, r.slot_decay_per_second, slots, now)
            waits.append(at if at is not None else math.inf)
    if outcome.blocked and max(waits) < math.inf:
        outcome.retry_at = max(waits)  # every blocking limit must have room
    return outcome, held


def renew(
    conn: sa.Connection, dialect: str, lease_id: str, lease_seconds: float, now: float | None = None
) -> float | None:
    """Push a held lease's expiry to now + `lease_seconds`; None if it is gone (expired, reset,
    released, or its limit deleted): its slots are no longer held."""
    now = time.time() if now is None else now
    rows = _lease_rows(conn, dialect, lease_id)
    if not rows or any(r.decaying or r.expires <= now for r in rows):
        return None
    expires = now + lease_seconds
    conn.execute(leases.update().where(leases.c.id == lease_id).values(expires=expires))
    return expires


def release(
    conn: sa.Connection, dialect: str, lease_id: str, now: float | None = None
) -> list[tuple[str, int]]:
    """Give back a held lease's slots (on a limit with slot decay they decay instead, as a
    rate-limited acquisition's do). Returns (limit, slots) freed now, for waking waiters; an
    unknown or expired lease frees nothing."""
    now = time.time() if now is None else now
    freed: list[tuple[str, int]] = []
    rows = [r for r in _lease_rows(conn, dialect, lease_id) if not r.decaying]
    decays = dict(
        conn.execute(
            sa.select(limits.c.name, limits.c.slot_decay_per_second).where(
                limits.c.name.in_([r.limit_name for r in rows])
            )
        ).all()
    )
    for r in rows:
        where = (leases.c.id == lease_id, leases.c.limit_name == r.limit_name)
        decay = decays.get(r.limit_name, 0.0)
        if r.expires > now and decay > 0:
            others = _leases_of(conn, [r.limit_name], now).get(r.limit_name, [])
            start = usage.drained(others, now)
            conn.execute(leases.update().where(*where).values(
                decaying=True, expires=start + r.slots / decay))  # fmt: skip
            continue
        conn.execute(leases.delete().where(*where))
        if r.expires > now:
            freed.append((r.limit_name, r.slots))
    return freed


def _locked(conn: sa.Connection, dialect: str, names: Sequence[str]) -> list[Any]:
    query = sa.select(limits).where(limits.c.name.in_(names)).order_by(limits.c.name)
    if dialect == "postgresql":
        query = query.with_for_update()
    return list(conn.execute(query).all())


def _lease_rows(conn: sa.Connection, dialect: str, lease_id: str) -> list[Any]:
    """The rows of a lease, read after locking its limits' rows (PostgreSQL)."""
    query = sa.select(leases).where(leases.c.id == lease_id)
    rows = conn.execute(query).all()
    if rows and dialect == "postgresql":
        _locked(conn, dialect, sorted({r.limit_name for r in rows}))
        rows = conn.execute(query).all()
    return list(rows)


__all__ = [
    "MAX_NAME",
    "TAG_PREFIX",
    "Outcome",
    "acquire",
    "check_decay",
    "check_name",
    "check_slot_limit",
    "create_limit",
    "delete_limit",
    "limited_tags",
    "list_limits",
    "peek",
    "read_limit",
    "release",
    "renew",
    "reset_limit",
    "update_limit",
]
