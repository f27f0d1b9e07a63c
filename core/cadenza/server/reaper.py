"""The reaper: a server service that marks flow runs whose lease expired Crashed, ends
cancellations nobody acknowledged, and fails suspended runs whose suspension timed out.

Every `CADENZA_SERVER_REAPER_INTERVAL` seconds it calls `cadenza.server.leases.reap` and
`cadenza.store.run_control.expire_cancellations` (runs left Cancelling longer than
`CADENZA_CANCELLATION_GRACE` become Cancelled) and `cadenza.store.pause.expire_suspensions`.
It is safe to run in several server processes on one database: each change is one
transition with an id made from the lease, the request or the pause, applied once. Each process
counts the runs its own reaper ended (``cadenza_reaper_actions_total``, `cadenza.server.metrics`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cadenza.server import leases, metrics
from cadenza.server.service import ServiceLoop
from cadenza.settings import spec
from cadenza.store import pause, run_control

if TYPE_CHECKING:
    from cadenza.server.store import Store

logger = logging.getLogger("cadenza.server")


class Reaper(ServiceLoop):
    def __init__(self, store: Store, interval: float) -> None:
        self.store = store
        super().__init__("reaper", interval, self._reap)

    def _reap(self) -> None:
        crashed = leases.reap(self.store)
        metrics.reaped("lease_expired", len(crashed))
        if crashed:
            logger.warning(
                "Marked %d flow run(s) Crashed: their processes stopped sending heartbeats (%s)",
                len(crashed),
                ", ".join(crashed[:5]) + (", ..." if len(crashed) > 5 else ""),
            )
        grace = spec.get("CADENZA_CANCELLATION_GRACE")
        ended = run_control.expire_cancellations(self.store, grace)
        metrics.reaped("cancellation_expired", len(ended))
        if ended:
            logger.warning(
                "Marked %d flow run(s) Cancelled: their processes did not acknowledge the "
                "cancellation within %g s (%s)",
                len(ended),
                grace,
                ", ".join(ended[:5]) + (", ..." if len(ended) > 5 else ""),
            )
        expired = pause.expire_suspensions(self.store)
        metrics.reaped("suspension_expired", len(expired))
        if expired:
            logger.warning(
                "Marked %d suspended flow run(s) Failed: not resumed within their timeout (%s)",
                len(expired),
                ", ".join(expired[:5]) + (", ..." if len(expired) > 5 else ""),
            )


__all__ = ["Reaper"]
