"""Routes for concurrency limits and their leases (docs/reference/http-api.md), on the paths
Prefect 3 uses where they fit (``increment-with-lease``, ``decrement-with-lease``,
``leases/{id}/renew``).

Each database step is one transaction of `cadenza.store.sql.SqlDatabase` around a function of
`cadenza.store.concurrency` (the same ones the embedded record uses), run in the threadpool.
The acquire route waits on the server when asked to (``wait``): its request sleeps on the event
loop, in a queue per limit (`Waiters`), and is woken when this process frees slots of that limit
(a release wakes as many waiters as it freed slots, in arrival order; a reset, delete or update
wakes them all), at the next lease expiry it knows of (a dead holder's slots free themselves
then), or after `RECHECK_SECONDS` at the latest, which covers slots freed by another server
process on the same database. A waiting request holds no thread and no connection.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BeforeValidator, Field, field_validator
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from cadenza.server.errors import CONFLICT, NOT_FOUND, ErrorOut, error_response
from cadenza.server.models import Id, JsonObject, Lease, _Model
from cadenza.store import concurrency as store
from cadenza.store.sql import SqlDatabase

RECHECK_SECONDS = 2.0
"""The longest a waiting acquisition sleeps without a wake-up before it tries again."""
MAX_WAIT = 60.0
MAX_HOLDER = 10_000  # characters of a holder's JSON
_PAST_EXPIRY = 0.002
GONE: dict[int | str, dict[str, Any]] = {
    410: {"model": ErrorOut, "description": "The lease is gone: its slots are no longer held"}
}


def _checked(check: Any) -> Any:
    def validate(value: object) -> object:
        try:
            return check(value)
        except ValueError as exc:
            raise PydanticCustomError("concurrency_limit", str(exc)) from None

    return BeforeValidator(validate)


LimitName = Annotated[str, _checked(store.check_name)]
SlotLimit = Annotated[int, _checked(store.check_slot_limit)]
Decay = Annotated[float, _checked(store.check_decay)]
Slots = Annotated[int, Field(ge=1, le=store.MAX_SLOTS)]
NameRef = Annotated[LimitName, Path(description="a concurrency limit's name")]


class LimitIn(_Model):
    name: LimitName
    limit: SlotLimit
    active: bool = True
    slot_decay_per_second: Decay = 0.0


class LimitUpdateIn(_Model):
    limit: SlotLimit | None = None
    active: bool | None = None
    slot_decay_per_second: Decay | None = None


class AcquireIn(_Model):
    names: list[LimitName] = Field(min_length=1, max_length=100)
    slots: Slots = 1
    mode: Literal["concurrency", "rate_limit"] = "concurrency"
    lease_seconds: Lease = 30.0
    holder: JsonObject = Field(default_factory=dict)
    wait: Annotated[float, Field(ge=0, le=MAX_WAIT)] = 0.0
    max_retries: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None

    @field_validator("holder")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value)) > MAX_HOLDER:
            raise ValueError(f"a lease's holder must be at most {MAX_HOLDER:,} characters of JSON")
        return value


class RenewIn(_Model):
    lease_seconds: Lease = 30.0


class ReleaseIn(_Model):
    lease_id: Id


class _Waiter:
    __slots__ = ("event", "woken_for")

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.woken_for: list[str] = []


class Waiters:
    """Acquisitions waiting in this server process, per limit, in arrival order (used on the
    event loop only)."""

    def __init__(self) -> None:
        self._queues: dict[str, dict[_Waiter, None]] = {}

    def join(self, names: list[str]) -> _Waiter:
        waiter = _Waiter()
        for name in names:
            self._queues.setdefault(name, {})[waiter] = None
        return waiter

    def leave(self, waiter: _Waiter) -> None:
        """Leave every queue; a wake-up not yet used goes to the next waiter of its limit."""
        for name in list(self._queues):
            queue = self._queues[name]
            queue.pop(waiter, None)
            if not queue:
                del self._queues[name]
        if waiter.event.is_set():
            for name in waiter.woken_for:
                self.wake(name, 1)

    def wake(self, name: str, count: int | None = None) -> None:
        """Wake the first `count` waiters of `name` not woken already (all with None)."""
        woken = 0
        for waiter in self._queues.get(name, {}):
            if count is not None and woken >= count:
                break
            if not waiter.event.is_set():
                waiter.woken_for = [name]
                waiter.event.set()
                woken += 1


def router(db: SqlDatabase) -> APIRouter:
    api = APIRouter()
    dialect = db.engine.dialect.name
    waiters = Waiters()

    def write(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with db.write() as conn:
            return fn(conn, *args, **kwargs)

    def read(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with db.read() as conn:
            return fn(conn, *args, **kwargs)

    @api.post("/concurrency_limits", status_code=201, responses=CONFLICT)
    async def create_limit(body: LimitIn) -> dict[str, Any]:
        """Create a limit; 409 if the name is taken."""
        return await run_in_threadpool(write, store.create_limit, body.name, body.limit,
                                       body.active, body.slot_decay_per_second)  # fmt: skip

    @api.get("/concurrency_limits")
    async def list_limits(
        prefix: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> list[dict[str, Any]]:
        """Limits by name, each with ``active_slots``."""
        return await run_in_threadpool(read, store.list_limits, prefix, limit, offset)

    @api.get("/concurrency_limits/{name}", responses=NOT_FOUND)
    async def read_limit(name: NameRef) -> dict[str, Any]:
        """One limit with ``active_slots`` and its unexpired ``leases`` (holders)."""
        return await run_in_threadpool(read, store.read_limit, name)

    @api.patch("/concurrency_limits/{name}", responses=NOT_FOUND)
    async def update_limit(name: NameRef, body: LimitUpdateIn) -> dict[str, Any]:
        """Change what the body gives; waiters try again (a raised limit lets them in)."""
        out = await run_in_threadpool(write, store.update_limit, name, body.limit, body.active,
                                      body.slot_decay_per_second)  # fmt: skip
        waiters.wake(name)
        return out  # type: ignore[no-any-return]  # `write` is typed loosely (any store call)

    @api.delete("/concurrency_limits/{name}", responses=NOT_FOUND)
    async def delete_limit(name: NameRef) -> dict[str, Any]:
        """Delete a limit and its leases; returns it as it was."""
        out = await run_in_threadpool(write, store.delete_limit, name)
        waiters.wake(name)
        return out  # type: ignore[no-any-return]  # `write` is typed loosely (any store call)

    @api.post("/concurrency_limits/{name}/reset", responses=NOT_FOUND)
    async def reset_limit(name: NameRef) -> dict[str, Any]:
        """Free every slot of the limit: its leases are dropped."""
        out = await run_in_threadpool(write, store.reset_limit, name)
        waiters.wake(name)
        return out  # type: ignore[no-any-return]  # `write` is typed loosely (any store call)

    @api.post("/concurrency_limits/increment-with-lease")
    async def acquire(body: AcquireIn, request: Request) -> dict[str, Any]:
        """Take `slots` of every limit named (all or none), waiting up to `wait` seconds."""
        deadline = time.monotonic() + body.wait

        def look() -> store.Outcome:
            """Blocked, read without the write lock; else the acquisition itself."""
            seen = read(store.peek, body.names, body.slots, mode=body.mode)
            return seen if seen.blocked else attempt()

        def attempt() -> store.Outcome:
            return write(store.acquire, dialect, body.names, body.slots, mode=body.mode,  # type: ignore[no-any-return]  # `write` is loosely typed
                         lease_seconds=body.lease_seconds, holder=body.holder)  # fmt: skip

        outcome = await run_in_threadpool(attempt)
        retries = 0
        if not outcome.granted and body.wait > 0:
            waiter = waiters.join([limit["name"] for limit in outcome.limits])
            try:
                while True:
                    # again once queued (a release in between would be missed), then after
                    # each wait; after a timeout most would fail: they read before they write
                    woken = not retries or waiter.event.is_set()
                    waiter.event.clear()
                    outcome = await run_in_threadpool(attempt if woken else look)
                    if outcome.granted or retries == body.max_retries:
                        break
                    pause = min(RECHECK_SECONDS, deadline - time.monotonic())
                    if outcome.retry_at is not None:
                        pause = min(pause, outcome.retry_at - time.time() + _PAST_EXPIRY)
                    if pause <= 0 and deadline <= time.monotonic():
                        break
                    try:
                        await asyncio.wait_for(waiter.event.wait(), max(pause, 0.0))
                    except asyncio.TimeoutError:
                        pass
                    if await request.is_disconnected():  # nobody to hand the slots to
                        break
                    retries += 1
            finally:
                waiters.leave(waiter)
        return {**outcome.answer(), "granted": outcome.granted, "retries": retries,
                "blocked": outcome.blocked, "retry_at": outcome.retry_at}  # fmt: skip

    @api.post("/concurrency_limits/leases/{lease_id}/renew", responses=GONE)
    async def renew(lease_id: Annotated[Id, Path()], body: RenewIn) -> Any:
        """Keep holding a lease for `lease_seconds` more; 410 if it is gone (expired, reset,
        its limit deleted)."""
        expires = await run_in_threadpool(write, store.renew, dialect, lease_id,
                                          body.lease_seconds)  # fmt: skip
        if expires is None:
            return error_response(410, f"no concurrency lease {lease_id!r} is held any more")
        return {"lease_id": lease_id, "expires": expires}

    @api.post("/concurrency_limits/decrement-with-lease")
    async def release(body: ReleaseIn) -> dict[str, Any]:
        """Give back a lease's slots (on a limit with slot decay they decay instead); waiters
        of each limit are woken, as many as slots were freed. An unknown lease frees nothing."""
        freed = await run_in_threadpool(write, store.release, dialect, body.lease_id)
        for name, slots in freed:
            waiters.wake(name, slots)
        return {"freed": [{"name": name, "slots": slots} for name, slots in freed]}

    return api


__all__ = ["RECHECK_SECONDS", "Waiters", "router"]
