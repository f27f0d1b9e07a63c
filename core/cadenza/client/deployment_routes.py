"""The API's deployment, work-pool and worker routes, as methods of both HTTP clients.

`DeploymentRoutes` is a base of `cadenza.client.http.ApiClient` and `AsyncApiClient`: each
method returns ``self._json(...)``, the decoded answer (an awaitable of it from the async
client). The routes are listed in docs/reference/http-api.md.
"""

from __future__ import annotations

from typing import Any

from cadenza.client.paths import segment


class DeploymentRoutes:
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    # deployments
    def apply_deployment(self, spec: dict[str, Any]) -> Any:
        """Create or update a deployment (`POST /deployments`)."""
        return self._json("POST", "/deployments", json=spec)

    def list_deployments(
        self, flow_name: str | None = None, limit: int | None = None, offset: int | None = None
    ) -> Any:
        params = {"flow_name": flow_name, "limit": limit, "offset": offset}
        return self._json("GET", "/deployments", params=params)

    def read_deployment(self, deployment_id: str) -> Any:
        return self._json("GET", f"/deployments/{segment(deployment_id)}")

    def read_deployment_by_name(self, name: str) -> Any:
        """The deployment named ``flow/deployment``."""
        flow_name, _, deployment = name.partition("/")
        return self._json("GET", f"/deployments/name/{segment(flow_name)}/{segment(deployment)}")

    def upcoming_deployment_runs(self, deployment_id: str, limit: int | None = None) -> Any:
        """The deployment's Scheduled runs, soonest due first."""
        path = f"/deployments/{segment(deployment_id)}/upcoming_runs"
        return self._json("GET", path, params={"limit": limit})

    def pause_deployment(self, deployment_id: str) -> Any:
        return self._json("POST", f"/deployments/{segment(deployment_id)}/pause")

    def resume_deployment(self, deployment_id: str) -> Any:
        return self._json("POST", f"/deployments/{segment(deployment_id)}/resume")

    def delete_deployment(self, deployment_id: str) -> Any:
        return self._json("DELETE", f"/deployments/{segment(deployment_id)}")

    def create_flow_run_from_deployment(self, deployment_id: str, **body: Any) -> Any:
        """A Scheduled run of the deployment; `body`: parameters, tags, scheduled_time, name,
        job_variables, parent_flow_run_id, parent_task_run_id, idempotency_key."""
        body = {k: v for k, v in body.items() if v is not None}
        path = f"/deployments/{segment(deployment_id)}/create_flow_run"
        return self._json("POST", path, json=body)

    def claim_deployment_runs(
        self, claimant: str, deployment_ids: list[str], limit: int, lease_seconds: float
    ) -> Any:
        body = {"claimant": claimant, "deployment_ids": deployment_ids, "limit": limit,
                "lease_seconds": lease_seconds}  # fmt: skip
        return self._json("POST", "/deployments/claim", json=body)

    # work pools
    def create_work_pool(self, name: str, **body: Any) -> Any:
        """`body`: type, description, concurrency_limit, base_job_template, overwrite."""
        body = {k: v for k, v in body.items() if v is not None}
        return self._json("POST", "/work_pools", json={"name": name, **body})

    def list_work_pools(self) -> Any:
        return self._json("GET", "/work_pools")

    def read_work_pool(self, name: str) -> Any:
        return self._json("GET", f"/work_pools/{segment(name)}")

    def pause_work_pool(self, name: str) -> Any:
        return self._json("POST", f"/work_pools/{segment(name)}/pause")

    def resume_work_pool(self, name: str) -> Any:
        return self._json("POST", f"/work_pools/{segment(name)}/resume")

    def delete_work_pool(self, name: str) -> Any:
        return self._json("DELETE", f"/work_pools/{segment(name)}")

    def create_work_queue(self, pool: str, name: str, **body: Any) -> Any:
        """`body`: priority, concurrency_limit, description."""
        body = {k: v for k, v in body.items() if v is not None}
        return self._json(
            "POST", f"/work_pools/{segment(pool)}/queues", json={"name": name, **body}
        )

    def pause_work_queue(self, pool: str, name: str) -> Any:
        return self._json("POST", f"/work_pools/{segment(pool)}/queues/{segment(name)}/pause")

    def resume_work_queue(self, pool: str, name: str) -> Any:
        return self._json("POST", f"/work_pools/{segment(pool)}/queues/{segment(name)}/resume")

    def worker_heartbeat(
        self, pool: str, name: str, lease_seconds: float, pid: int | None = None,
        hostname: str | None = None,
    ) -> Any:  # fmt: skip
        body = {"name": name, "lease_seconds": lease_seconds, "pid": pid, "hostname": hostname}
        return self._json("POST", f"/work_pools/{segment(pool)}/workers/heartbeat", json=body)

    def list_workers(self, pool: str) -> Any:
        return self._json("GET", f"/work_pools/{segment(pool)}/workers")

    def claim_work_pool_runs(
        self, pool: str, worker: str, limit: int, lease_seconds: float,
        queues: list[str] | None = None,
    ) -> Any:  # fmt: skip
        body = {"worker": worker, "limit": limit, "lease_seconds": lease_seconds,
                "queues": queues}  # fmt: skip
        return self._json("POST", f"/work_pools/{segment(pool)}/claim", json=body)


__all__ = ["DeploymentRoutes"]
