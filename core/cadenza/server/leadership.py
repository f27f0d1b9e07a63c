"""Which server process runs each singleton service, by leases in the database.

Several server processes may serve one PostgreSQL database (``cadenza server start --workers N``,
or servers on several hosts). The API is served by all of them, but the scheduler, the reaper and
the retention and automation services run in one process at a time: each has a row in
``service_leases`` naming its holder and when the lease expires, by the database's clock (so
hosts whose clocks disagree still agree on who holds it).

A `Leadership` claims every service it is given when it starts, then again every third of the
lease from a thread of its own (not from the services' rounds, so a long retention round does not
lose its lease): a claim renews a lease this process holds, takes over one that expired, and
leaves one held by a live process alone. A service runs a round only while `holds` says so, which
is a local deadline taken *before* each claim was sent and shortened by a margin — it always ends
before the lease in the database does, so two processes never both believe they hold a service.
A process killed without a word (``kill -9``, a lost host) hands its services on when its leases
expire: within `ttl` plus a third of it. A process that stops normally gives them up at once.

On SQLite one server process is the rule (the CLI refuses ``--workers`` there); the leases work
the same, so two servers started by mistake on one file still run each service once.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from cadenza.store.sql import DatabaseBusy, SqlDatabase, dialect_insert
from cadenza.store.tables import service_leases

logger = logging.getLogger("cadenza.server")

MARGIN = 0.8
"""The share of a lease a holder counts on (the rest absorbs clock-rate drift and a slow claim)."""


def database_now(dialect: str) -> Any:
    """The database's clock in epoch seconds, as an SQL expression."""
    if dialect == "postgresql":
        return sa.cast(sa.func.extract("epoch", sa.func.clock_timestamp()), sa.Double)
    return (sa.func.julianday("now") - 2440587.5) * 86400.0


def claim(conn: sa.Connection, name: str, holder: str, ttl: float) -> bool:
    """Renew `holder`'s lease of service `name`, or take it if free or expired; True if held."""
    now = database_now(conn.dialect.name)
    insert = dialect_insert(conn.dialect.name, service_leases).values(
        name=name, holder=holder, expires=now + ttl, acquired=now
    )
    current = service_leases.c
    statement = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={
            "holder": insert.excluded.holder,
            "expires": insert.excluded.expires,
            "acquired": sa.case(
                (current.holder == insert.excluded.holder, current.acquired),
                else_=insert.excluded.acquired,
            ),
        },
        where=sa.or_(current.holder == insert.excluded.holder, current.expires < now),
    ).returning(current.name)
    return conn.execute(statement).first() is not None


def release(conn: sa.Connection, names: Iterable[str], holder: str) -> None:
    """Give up `holder`'s leases of `names` (another process may take them at once)."""
    conn.execute(
        service_leases.delete().where(
            service_leases.c.name.in_(list(names)), service_leases.c.holder == holder
        )
    )


def leases(conn: sa.Connection) -> list[dict[str, Any]]:
    """Every service lease: name, holder, expires, acquired, and ``now`` by the database."""
    now = conn.execute(sa.select(database_now(conn.dialect.name))).scalar_one()
    rows = conn.execute(sa.select(service_leases).order_by(service_leases.c.name)).all()
    return [{**row._mapping, "live": row.expires > now} for row in rows]


def process_holder() -> str:
    """This process's name as a holder: ``<hostname>:<pid>:<random>`` (unique per start)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Leadership:
    """The leases of `names` this process holds, claimed and renewed by its own thread."""

    def __init__(self, db: SqlDatabase, names: Iterable[str], ttl: float) -> None:
        self.db = db
        self.names = tuple(names)
        self.ttl = ttl
        self.holder = process_holder()
        self._until: dict[str, float] = {}  # time.monotonic() deadlines
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cadenza-leadership", daemon=True)

    def start(self) -> Leadership:
        """Claim every service once (so the first process up runs them all), then keep on."""
        self.claim_all()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop renewing and give up the leases held, so another process takes them now."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        held = self.held()
        with self._lock:
            self._until.clear()
        if held:
            try:
                with self.db.write() as conn:
                    release(conn, held, self.holder)
            except Exception:  # the leases then expire on their own
                logger.warning("Could not give up the leases of %s", ", ".join(held))

    def holds(self, name: str) -> bool:
        """True while this process may run service `name`."""
        with self._lock:
            return time.monotonic() < self._until.get(name, 0.0)

    def held(self) -> list[str]:
        return [name for name in self.names if self.holds(name)]

    def claim_all(self) -> None:
        for name in self.names:
            started = time.monotonic()
            try:
                with self.db.write() as conn:
                    got = claim(conn, name, self.holder, self.ttl)
            except DatabaseBusy:
                got = False
            except Exception:  # the database is away: this process holds nothing meanwhile
                logger.exception("Could not claim the lease of the %s", name)
                got = False
            had = self.holds(name)
            with self._lock:
                self._until[name] = started + self.ttl * MARGIN if got else 0.0
            if got and not had:
                logger.info("This process (%s) now runs the %s", self.holder, name)
            elif had and not got:
                logger.warning("This process (%s) lost the lease of the %s", self.holder, name)

    def _loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self.claim_all()


__all__ = ["MARGIN", "Leadership", "claim", "database_now", "leases", "process_holder", "release"]
