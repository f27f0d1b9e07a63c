"""The scheduler: a server service that creates deployments' runs ahead and marks late ones.

Every `CADENZA_SERVER_SCHEDULER_INTERVAL` seconds it calls `cadenza.store.scheduling.schedule_runs`
and `mark_late`. Two schedulers on one database (two server processes on one PostgreSQL) never
create a slot's run twice: each carries a unique idempotency key.
"""

from __future__ import annotations

import logging

from cadenza.server.service import ServiceLoop
from cadenza.store import scheduling
from cadenza.store.sql import SqlDatabase

logger = logging.getLogger("cadenza.server")


class Scheduler(ServiceLoop):
    def __init__(self, db: SqlDatabase, interval: float) -> None:
        self.db = db
        super().__init__("scheduler", interval, self._schedule)

    def _schedule(self) -> None:
        created = scheduling.schedule_runs(self.db)
        marked = scheduling.mark_late(self.db)
        if created:
            logger.info("Scheduled %d flow run(s)", created)
        if marked["skipped"]:
            logger.warning(
                "Skipped %d missed scheduled run(s) of deployments whose catchup is off",
                marked["skipped"],
            )


__all__ = ["Scheduler"]
