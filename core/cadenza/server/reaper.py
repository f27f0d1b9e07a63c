"""The reaper: a server service that marks flow runs whose lease expired Crashed.

Every `CADENZA_SERVER_REAPER_INTERVAL` seconds it calls `cadenza.server.leases.reap`. It is safe
to run in several server processes on one database: each crash is one transition with an id
made from the lease, applied once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cadenza.server import leases
from cadenza.server.service import ServiceLoop

if TYPE_CHECKING:
    from cadenza.server.store import Store

logger = logging.getLogger("cadenza.server")


class Reaper(ServiceLoop):
    def __init__(self, store: Store, interval: float) -> None:
        self.store = store
        super().__init__("reaper", interval, self._reap)

    def _reap(self) -> None:
        crashed = leases.reap(self.store)
        if crashed:
            logger.warning(
                "Marked %d flow run(s) Crashed: their processes stopped sending heartbeats (%s)",
                len(crashed),
                ", ".join(crashed[:5]) + (", ..." if len(crashed) > 5 else ""),
            )


__all__ = ["Reaper"]
