"""How many slots of a limit its leases occupy at a given time (`cadenza.store.concurrency`).

Pure arithmetic over lease rows (anything with ``slots``, ``decaying`` and ``expires``): a held
lease occupies its slots until it expires; a decaying lease of a limit with slot decay d frees
d slots a second until it expires, so together they form a leaky bucket whose level falls at d.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

EPSILON = 1e-9
"""Slots: float error in a decaying level must never refuse a free slot."""


def held(rows: Iterable[Any], now: float) -> int:
    """Slots of the held (not decaying) leases that have not expired at `now`."""
    return sum(r.slots for r in rows if not r.decaying and r.expires > now)


def level(rows: Iterable[Any], decay: float, now: float) -> float:
    """Slots still occupied by decaying leases at `now`: each frees `decay` a second until it
    expires (without decay — the limit was changed since — it counts whole until then)."""
    live = [r for r in rows if r.decaying and r.expires > now]
    if decay <= 0:
        return float(sum(r.slots for r in live))
    return float(sum(min(r.slots, (r.expires - now) * decay) for r in live))


def drained(rows: Iterable[Any], now: float) -> float:
    """When the bucket is empty: the latest expiry of the decaying leases (now if none)."""
    return float(max([now, *(r.expires for r in rows if r.decaying)]))


def room_at(rows: Sequence[Any], limit: int, decay: float, slots: int, now: float) -> float | None:
    """The earliest time `slots` more fit under `limit` if no lease is renewed or taken
    meanwhile: at an expiry of a held lease, or (with decay) when the level is low enough."""
    by_expiry = sorted((r for r in rows if not r.decaying), key=lambda r: r.expires)
    for i, at in enumerate([now, *(r.expires for r in by_expiry)]):
        target = limit - slots - sum(r.slots for r in by_expiry[i:])
        if target < -EPSILON:
            continue
        if level(rows, decay, at) <= target + EPSILON:
            return float(at)
        ends: list[float] = sorted(r.expires for r in rows if r.decaying)
        if decay <= 0:  # whole decaying leases end one by one
            return next((e for e in ends if level(rows, decay, e) <= target + EPSILON), None)
        low, high = at, ends[-1]
        for _ in range(50):  # the level falls steadily: bisect for when it is low enough
            middle = (low + high) / 2
            if level(rows, decay, middle) > target + EPSILON:
                low = middle
            else:
                high = middle
        return high
    return None


__all__ = ["EPSILON", "drained", "held", "level", "room_at"]
