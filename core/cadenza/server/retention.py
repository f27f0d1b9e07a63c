"""The retention service: applies the record's TTLs (``CADENZA_RETENTION_*``) on the server.

Every `CADENZA_RETENTION_INTERVAL` seconds it calls `cadenza.store.retention.clean`, which deletes
in short batches (flow runs with their subflow runs and rows; log lines, events and artifacts
older than theirs; nothing of a run that is not final). It is safe to run in several server
processes on one database: each batch re-reads what it deletes, and a row deleted twice is
simply gone. The server never deletes result files (they live where the runs' processes wrote
them): ``cadenza db clean --results`` or ``cadenza runs delete --results`` does.
"""

from __future__ import annotations

import logging

from cadenza.server.service import ServiceLoop
from cadenza.store import retention
from cadenza.store.sql import SqlDatabase

logger = logging.getLogger("cadenza.server")


class Retention(ServiceLoop):
    def __init__(self, db: SqlDatabase, interval: float) -> None:
        self.db = db
        super().__init__("retention service", interval, self._clean)

    def _clean(self) -> None:
        policy = retention.policy_from_settings()
        if not policy:
            return
        answer = retention.clean(self.db, policy, stopping=self._stop.is_set)
        deleted = {table: n for table, n in answer["deleted"].items() if n}
        if deleted:
            shown = ", ".join(f"{n} {table}" for table, n in deleted.items())
            logger.info("Retention deleted %s", shown)
        if answer["skipped"]:
            logger.warning(
                "Retention left %d flow run(s) past their TTL: a subflow run of each is not in "
                "a final state",
                len(answer["skipped"]),
            )


__all__ = ["Retention"]
