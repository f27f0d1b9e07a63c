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
A lease also records where its holder runs (`this_host`: on Linux the boot id and the pid
namespace, in which its pid means something): a process on the same host that finds the holder's
pid gone — a server restarted after a crash, a worker replaced by the supervisor — takes the lease
at once instead of waiting for it to expire. A pid reused by another process only makes it wait.

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
from pathlib import Path
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


Where = tuple[str | None, int | None]  # a holder's host (`this_host`) and pid


def claim(
    conn: sa.Connection,
    name: str,
    holder: str,
    ttl: float,
    where: Where = (None, None),
    gone: str | None = None,
) -> bool:
    """Renew `holder`'s lease of service `name`, or take it if free, expired, or held by `gone`
    (a holder known to have exited); True if held. `where` is the holder's (host, pid)."""
    now = database_now(conn.dialect.name)
    insert = dialect_insert(conn.dialect.name, service_leases).values(
        name=name, holder=holder, host=where[0], pid=where[1], expires=now + ttl, acquired=now
    )
    current = service_leases.c
    free = sa.or_(current.holder == insert.excluded.holder, current.expires < now)
    if gone is not None:
        free = sa.or_(free, current.holder == gone)
    statement = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={
            "holder": insert.excluded.holder,
            "host": insert.excluded.host,
            "pid": insert.excluded.pid,
            "expires": insert.excluded.expires,
            "acquired": sa.case(
                (current.holder == insert.excluded.holder, current.acquired),
                else_=insert.excluded.acquired,
            ),
        },
        where=free,
    ).returning(current.name)
    return conn.execute(statement).first() is not None


def this_host() -> str | None:
    """Where this process's pid is meaningful: the boot id and pid namespace (Linux), else None
    (a lease is then only ever taken over when it expires)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{boot}/{namespace}"


def exited(pid: int) -> bool:
    """True if no process `pid` runs here (a zombie, killed and not yet reaped, counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # another user's: alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].startswith("Z")


def gone_holder(conn: sa.Connection, name: str, host: str | None) -> str | None:
    """The holder of `name`'s lease if it ran on `host` (this process's) and has exited."""
    if host is None:
        return None
    row = conn.execute(
        sa.select(service_leases.c.holder, service_leases.c.host, service_leases.c.pid).where(
            service_leases.c.name == name
        )
    ).first()
    if row is None or row.host != host or row.pid is None or row.pid == os.getpid():
        return None
    return str(row.holder) if exited(row.pid) else None


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
        self.where: Where = (this_host(), os.getpid())
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
                    gone = None if self.holds(name) else gone_holder(conn, name, self.where[0])
                    got = claim(conn, name, self.holder, self.ttl, self.where, gone)
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


__all__ = [
    "MARGIN",
    "Leadership",
    "claim",
    "database_now",
    "exited",
    "gone_holder",
    "leases",
    "process_holder",
    "release",
    "this_host",
]
