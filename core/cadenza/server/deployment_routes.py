"""Routes for deployments, work pools, work queues and workers (docs/reference/http-api.md).

Each route is one transaction of `cadenza.store.sql.SqlDatabase` around the functions of
`cadenza.store.deployments` and `cadenza.store.work_pools` (the same ones a `serve` process uses
on the embedded record). An unknown deployment, pool or queue answers 404; a name taken 409.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from cadenza.server.deployment_models import (
    ClaimIn,
    DeploymentClaimIn,
    DeploymentIn,
    FlowRunFromDeploymentIn,
    PoolName,
    WorkerHeartbeatIn,
    WorkPoolIn,
    WorkQueueIn,
)
from cadenza.server.errors import CONFLICT, NOT_FOUND
from cadenza.server.models import Id
from cadenza.store import deployments as store_deployments
from cadenza.store import work_pools as pools
from cadenza.store.sql import SqlDatabase

DeploymentRef = Annotated[Id, Path(description="a deployment's id")]
PoolRef = Annotated[PoolName, Path(description="a work pool's name")]
QueueRef = Annotated[PoolName, Path(description="a work queue's name")]
FOUND_OR_CONFLICT = {**NOT_FOUND, **CONFLICT}
UPDATED: dict[int | str, dict[str, Any]] = {
    200: {"model": dict[str, Any], "description": "Updated (201: created)"}
}
EXISTED: dict[int | str, dict[str, Any]] = {
    200: {"model": dict[str, Any], "description": "The run of this idempotency key, created before"}
}


def router(db: SqlDatabase) -> APIRouter:
    api = APIRouter()
    dialect = db.engine.dialect.name

    # -- deployments ----------------------------------------------------------------------------
    @api.post("/deployments", status_code=201, responses={**NOT_FOUND, **UPDATED})
    def apply_deployment(body: DeploymentIn, response: Response) -> dict[str, Any]:
        """Create the deployment, or update the one of that flow and name (200)."""
        spec = body.model_dump(exclude_unset=True)
        spec.update(name=body.name, flow_name=body.flow_name)
        if body.schedules is not None:
            spec["schedules"] = [s.model_dump() for s in body.schedules]
        with db.write() as conn:
            if body.work_pool_name is not None:
                pools.read_pool(conn, body.work_pool_name)  # 404 names the missing pool
            try:
                store_deployments.read_deployment(conn, f"{body.flow_name}/{body.name}")
                response.status_code = 200
            except LookupError:
                pass
            return store_deployments.apply_deployment(conn, spec)

    @api.get("/deployments")
    def list_deployments(
        flow_name: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> list[dict[str, Any]]:
        with db.read() as conn:
            return store_deployments.list_deployments(conn, flow_name, limit, offset)

    @api.get("/deployments/name/{flow_name}/{name}", responses=NOT_FOUND)
    def read_deployment_by_name(flow_name: str, name: str) -> dict[str, Any]:
        with db.read() as conn:
            return store_deployments.read_deployment(conn, f"{flow_name}/{name}")

    @api.get("/deployments/{deployment_id}", responses=NOT_FOUND)
    def read_deployment(deployment_id: DeploymentRef) -> dict[str, Any]:
        with db.read() as conn:
            return store_deployments.read_deployment(conn, deployment_id)

    @api.get("/deployments/{deployment_id}/upcoming_runs", responses=NOT_FOUND)
    def upcoming_runs(
        deployment_id: DeploymentRef, limit: Annotated[int, Query(ge=1, le=10_000)] = 5
    ) -> list[dict[str, Any]]:
        """The deployment's Scheduled runs, soonest due first."""
        with db.read() as conn:
            return store_deployments.upcoming_runs(conn, deployment_id, limit)

    @api.post("/deployments/{deployment_id}/pause", responses=NOT_FOUND)
    def pause_deployment(deployment_id: DeploymentRef) -> dict[str, Any]:
        with db.write() as conn:
            return store_deployments.set_paused(conn, deployment_id, True)

    @api.post("/deployments/{deployment_id}/resume", responses=NOT_FOUND)
    def resume_deployment(deployment_id: DeploymentRef) -> dict[str, Any]:
        with db.write() as conn:
            return store_deployments.set_paused(conn, deployment_id, False)

    @api.delete("/deployments/{deployment_id}", responses=NOT_FOUND)
    def delete_deployment(deployment_id: DeploymentRef) -> dict[str, Any]:
        with db.write() as conn:
            return store_deployments.delete_deployment(conn, deployment_id)

    @api.post("/deployments/{deployment_id}/create_flow_run", status_code=201, responses=NOT_FOUND)
    def create_flow_run(
        deployment_id: DeploymentRef, body: FlowRunFromDeploymentIn, response: Response
    ) -> dict[str, Any]:
        """A Scheduled run of the deployment (200 with the existing run for a known
        idempotency key)."""
        with db.write() as conn:
            deployment = store_deployments.read_deployment(conn, deployment_id)
            run, created = store_deployments.create_flow_run(
                conn, deployment, dialect=dialect, parameters=body.parameters,
                scheduled_time=body.scheduled_time, tags=body.tags, name=body.name,
                job_variables=body.job_variables, parent_flow_run_id=body.parent_flow_run_id,
                parent_task_run_id=body.parent_task_run_id,
                idempotency_key=body.idempotency_key,
            )  # fmt: skip
        if not created:
            response.status_code = 200
        return run

    @api.post("/deployments/claim")
    def claim_deployment_runs(body: DeploymentClaimIn) -> dict[str, Any]:
        """Claim due runs of these deployments (a `serve` process)."""
        with db.write() as conn:
            return pools.claim_runs(
                conn, dialect=dialect, claimant=body.claimant, lease_seconds=body.lease_seconds,
                limit=body.limit, deployment_ids=body.deployment_ids,
            )  # fmt: skip

    # -- work pools -----------------------------------------------------------------------------
    @api.post("/work_pools", status_code=201, responses=CONFLICT)
    def create_work_pool(body: WorkPoolIn) -> dict[str, Any]:
        with db.write() as conn:
            return pools.create_pool(
                conn, body.name, body.type, body.concurrency_limit, body.description,
                body.base_job_template, body.overwrite,
            )  # fmt: skip

    @api.get("/work_pools")
    def list_work_pools() -> list[dict[str, Any]]:
        now = time.time()
        with db.read() as conn:
            out = pools.list_pools(conn)
            for pool in out:
                pool["workers"] = pools.list_workers(conn, pool["name"], now)
            return out

    @api.get("/work_pools/{name}", responses=NOT_FOUND)
    def read_work_pool(name: PoolRef) -> dict[str, Any]:
        with db.read() as conn:
            pool = pools.read_pool(conn, name)
            pool["workers"] = pools.list_workers(conn, name)
            return pool

    @api.post("/work_pools/{name}/pause", responses=NOT_FOUND)
    def pause_work_pool(name: PoolRef) -> dict[str, Any]:
        with db.write() as conn:
            return pools.set_pool_paused(conn, name, True)

    @api.post("/work_pools/{name}/resume", responses=NOT_FOUND)
    def resume_work_pool(name: PoolRef) -> dict[str, Any]:
        with db.write() as conn:
            return pools.set_pool_paused(conn, name, False)

    @api.delete("/work_pools/{name}", responses=NOT_FOUND)
    def delete_work_pool(name: PoolRef) -> dict[str, Any]:
        with db.write() as conn:
            return pools.delete_pool(conn, name)

    @api.post("/work_pools/{name}/queues", status_code=201, responses=FOUND_OR_CONFLICT)
    def create_work_queue(name: PoolRef, body: WorkQueueIn) -> dict[str, Any]:
        with db.write() as conn:
            pools.read_pool(conn, name)
            return pools.create_queue(
                conn, name, body.name, body.priority, body.concurrency_limit, body.description
            )

    @api.post("/work_pools/{name}/queues/{queue}/pause", responses=NOT_FOUND)
    def pause_work_queue(name: PoolRef, queue: QueueRef) -> dict[str, Any]:
        with db.write() as conn:
            return pools.set_queue_paused(conn, name, queue, True)

    @api.post("/work_pools/{name}/queues/{queue}/resume", responses=NOT_FOUND)
    def resume_work_queue(name: PoolRef, queue: QueueRef) -> dict[str, Any]:
        with db.write() as conn:
            return pools.set_queue_paused(conn, name, queue, False)

    @api.post("/work_pools/{name}/workers/heartbeat", responses=NOT_FOUND)
    def worker_heartbeat(name: PoolRef, body: WorkerHeartbeatIn) -> dict[str, Any]:
        with db.write() as conn:
            return pools.heartbeat_worker(
                conn, dialect, name, body.name, body.lease_seconds, body.pid,
                body.hostname,
            )  # fmt: skip

    @api.get("/work_pools/{name}/workers", responses=NOT_FOUND)
    def list_workers(name: PoolRef) -> list[dict[str, Any]]:
        with db.read() as conn:
            pools.read_pool(conn, name)
            return pools.list_workers(conn, name)

    @api.post("/work_pools/{name}/claim", responses=NOT_FOUND)
    def claim_runs(name: PoolRef, body: ClaimIn) -> dict[str, Any]:
        """Claim due runs of the pool for a worker (each run to one worker only)."""
        with db.write() as conn:
            return pools.claim_runs(
                conn, dialect=dialect, claimant=body.worker, lease_seconds=body.lease_seconds,
                limit=body.limit, pool=name, queues=body.queues,
            )  # fmt: skip

    return api


__all__ = ["router"]
