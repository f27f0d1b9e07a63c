"""The reaper: a server service that marks flow runs whose lease expired Crashed.

A daemon thread calls `cadenza.server.leases.reap` every `CADENZA_SERVER_REAPER_INTERVAL`
seconds. It is safe to run in several server processes on one database: each crash is one
transition with an id made from the lease, applied once.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from cadenza.server import leases
from cadenza.server.store import DatabaseBusy

if TYPE_CHECKING:
    from cadenza.server.store import Store

logger = logging.getLogger("cadenza.server")


class Reaper:
    def __init__(self, store: Store, interval: float) -> None:
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cadenza-reaper", daemon=True)

    def start(self) -> Reaper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                crashed = leases.reap(self.store)
            except DatabaseBusy:
                continue  # the next round tries again
            except Exception:  # a failing round must not end the service
                logger.exception("The reaper could not check for expired leases")
                continue
            if crashed:
                logger.warning(
                    "Marked %d flow run(s) Crashed: their processes stopped sending heartbeats "
                    "(%s)",
                    len(crashed),
                    ", ".join(crashed[:5]) + (", ..." if len(crashed) > 5 else ""),
                )


__all__ = ["Reaper"]
