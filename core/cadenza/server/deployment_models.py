"""Request bodies of the deployment, work-pool and worker routes (docs/reference/http-api.md).

As in `cadenza.server.models`: unknown fields are ignored, free text is made storable, names are
bounded, and a body that does not fit is refused with 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from cadenza.schedules import schedule_from_dict, schedule_to_dict
from cadenza.server.models import Epoch, Id, JsonObject, Lease, Name, Tags, Text, _Model

DeploymentName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/\x00-\x1f]+$")]
"""A flow's or deployment's name: no slash (``flow/deployment`` names a deployment)."""
PoolName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/\x00-\x1f]+$")]
Limit = Annotated[int, Field(ge=1, le=10_000)]
Priority = Annotated[int, Field(ge=0, le=2**31 - 1)]


class ScheduleIn(_Model):
    schedule: dict[str, Any]
    active: bool = True
    parameters: JsonObject = Field(default_factory=dict)
    slug: Name | None = None

    @field_validator("schedule")
    @classmethod
    def _known_shape(cls, value: dict[str, Any]) -> dict[str, Any]:
        return schedule_to_dict(schedule_from_dict(value))  # ValueError names the problem


class DeploymentIn(_Model):
    name: DeploymentName
    flow_name: DeploymentName
    entrypoint: Text | None = None
    path: Text | None = None
    source: JsonObject | None = None
    parameters: JsonObject = Field(default_factory=dict)
    parameter_schema: JsonObject = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    description: Text | None = None
    version: Name | None = None
    work_pool_name: PoolName | None = None
    work_queue_name: PoolName | None = None
    job_variables: JsonObject = Field(default_factory=dict)
    concurrency_limit: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    paused: bool = False
    catchup: bool = False
    late_after: Annotated[float, Field(ge=0, le=365 * 24 * 3600)] = 15.0
    schedules: list[ScheduleIn] | None = None


class FlowRunFromDeploymentIn(_Model):
    parameters: JsonObject = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    scheduled_time: Epoch | None = None
    name: Name | None = None
    job_variables: JsonObject = Field(default_factory=dict)
    parent_flow_run_id: Id | None = None
    parent_task_run_id: Id | None = None
    idempotency_key: Name | None = None


class WorkPoolIn(_Model):
    name: PoolName
    type: Name = "process"
    description: Text | None = None
    concurrency_limit: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    base_job_template: JsonObject = Field(default_factory=dict)
    overwrite: bool = False


class WorkQueueIn(_Model):
    name: PoolName
    priority: Priority = 1
    concurrency_limit: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    description: Text | None = None


class WorkerHeartbeatIn(_Model):
    name: Name
    pid: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    hostname: Name | None = None
    lease_seconds: Lease = 90.0


class ClaimIn(_Model):
    worker: Name
    limit: Limit = 10
    queues: list[PoolName] | None = None
    lease_seconds: Lease = 90.0


class DeploymentClaimIn(_Model):
    claimant: Name
    deployment_ids: list[Id] = Field(max_length=10_000)
    limit: Limit = 10
    lease_seconds: Lease = 90.0


__all__ = [
    "ClaimIn",
    "DeploymentClaimIn",
    "DeploymentIn",
    "DeploymentName",
    "FlowRunFromDeploymentIn",
    "Limit",
    "PoolName",
    "Priority",
    "ScheduleIn",
    "WorkPoolIn",
    "WorkQueueIn",
    "WorkerHeartbeatIn",
]
