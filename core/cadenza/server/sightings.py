"""When each flow run was last seen alive, noted as a request arrives.

A heartbeat or a live batch proves that the process running a flow run is alive the moment it
arrives. Under load it may then wait a long time for the database (on SQLite every write waits
its turn behind the batches of every other process), longer than the lease it renews; the reaper
would crash a live run. So the server notes each sighting in memory at once, before any wait,
and the reaper (`cadenza.server.leases.reap`) spares — and writes the lease of — a run seen
within its lease. The database lease remains what other server processes see.

With several server processes (docs/howto/scale-out.md) each keeps its own sightings and only the
one holding the reaper's lease reads them: a run whose heartbeat reached another process is
judged by the database lease alone. That is safe — a sighting only ever spares a run, for at
most one lease — and on PostgreSQL, the only database several processes serve, a heartbeat does
not queue behind other writers the way it does on SQLite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable


class Sightings:
    """Until when each flow run is known alive (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def saw(self, run_ids: Iterable[str], lease_seconds: float) -> None:
        """The processes of `run_ids` are alive now: each stays so for `lease_seconds`."""
        until = time.time() + lease_seconds
        with self._lock:
            for run_id in run_ids:
                if self._until.get(run_id, 0.0) < until:
                    self._until[run_id] = until

    def alive_until(self, run_id: str) -> float:
        """When the last sighting of `run_id` runs out (0.0: never seen)."""
        return self._until.get(run_id, 0.0)

    def prune(self, now: float) -> None:
        """Forget the sightings that ran out before `now` (called by the reaper)."""
        with self._lock:
            for run_id in [r for r, until in self._until.items() if until < now]:
                del self._until[run_id]


__all__ = ["Sightings"]
