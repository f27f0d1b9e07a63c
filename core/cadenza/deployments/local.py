"""`LocalDeploymentsApi`: deployments on the embedded record (or any database URL), through the
very functions the server's routes call (`cadenza.store.deployments`, `cadenza.store.scheduling`,
`cadenza.store.work_pools`). Importing it imports SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

from cadenza.settings import spec
from cadenza.store import deployments, pause, run_control, scheduling, work_pools
from cadenza.store.sql import SqlDatabase
from cadenza.store.urls import default_database_url, prepare


class LocalDeploymentsApi:
    """The embedded record (``$CADENZA_HOME/cadenza.db``), or the database at `url`."""

    def __init__(self, url: str | None = None) -> None:
        url = url or default_database_url()
        prepare(url)
        self.db = SqlDatabase(url)
        self.dialect = self.db.engine.dialect.name

    def apply(self, spec: dict[str, Any]) -> dict[str, Any]:

        with self.db.write() as conn:
            if spec.get("work_pool_name"):
                work_pools.read_pool(conn, spec["work_pool_name"])
            return deployments.apply_deployment(conn, spec)

    def read(self, ref: str) -> dict[str, Any]:

        with self.db.read() as conn:
            return deployments.read_deployment(conn, ref)

    def list(self, flow_name: str | None = None) -> list[dict[str, Any]]:

        with self.db.read() as conn:
            return deployments.list_deployments(conn, flow_name)

    def pause(self, ref: str) -> dict[str, Any]:

        with self.db.write() as conn:
            return deployments.set_paused(conn, ref, True)

    def resume(self, ref: str) -> dict[str, Any]:

        with self.db.write() as conn:
            return deployments.set_paused(conn, ref, False)

    def delete(self, ref: str) -> dict[str, Any]:

        with self.db.write() as conn:
            return deployments.delete_deployment(conn, ref)

    def create_flow_run(self, deployment_id: str, **body: Any) -> dict[str, Any]:

        with self.db.write() as conn:
            deployment = deployments.read_deployment(conn, deployment_id)
            run, _ = deployments.create_flow_run(conn, deployment, dialect=self.dialect, **body)
            return run

    def read_flow_run(self, flow_run_id: str) -> dict[str, Any]:

        with self.db.read() as conn:
            return deployments.flow_run_summary(conn, flow_run_id)

    def upcoming_runs(self, deployment_id: str, limit: int = 5) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return deployments.upcoming_runs(conn, deployment_id, limit)

    def claim(
        self, claimant: str, deployment_ids: list[str], limit: int, lease_seconds: float
    ) -> dict[str, Any]:

        with self.db.write() as conn:
            return work_pools.claim_runs(
                conn, dialect=self.dialect, claimant=claimant, lease_seconds=lease_seconds,
                limit=limit, deployment_ids=deployment_ids,
            )  # fmt: skip

    def read_states(self, flow_run_ids: list[str]) -> dict[str, str | None]:
        return {
            rid: t for rid, (t, _) in run_control.flow_run_states(self.db, flow_run_ids).items()
        }

    def force_cancel(self, flow_run_id: str, reason: str) -> None:
        run_control.cancel_flow_run(self.db, flow_run_id, reason, force=True)

    def schedule(self) -> None:
        """One round of the scheduler (a `serve` process on the embedded record runs it), and
        the end of cancellations nobody acknowledged and of suspensions that timed out (the
        server's reaper does that there)."""

        scheduling.schedule_runs(self.db)
        scheduling.mark_late(self.db)
        run_control.expire_cancellations(self.db, spec.get("CADENZA_CANCELLATION_GRACE"))
        pause.expire_suspensions(self.db)

    def close(self) -> None:
        self.db.close()


__all__ = ["LocalDeploymentsApi"]
