"""What the client of `cadenza.client.orchestration` returns, with Prefect's names and fields:
`FlowRun`, `TaskRun`, `Flow`, `Deployment`, `Log`, `Variable`, `Artifact`, `BlockDocument`,
`WorkPool` — pydantic models built from the record's rows, embedded or from a server alike.

``state`` is a `cadenza.states.State` (``run.state.is_failed()``, ``run.state.name``), the
same class the engine and ``set_flow_run_state`` use; `StateType` is the engine's enum. Ids are
UUIDs; a flow, which has no row of its own, has the stable id `cadenza.store.run_filters.
flow_id` derives from its name. Times are aware `datetime`s in UTC.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cadenza._times import epoch_times
from cadenza.states import State, StateDetails, StateType

_DETAILS = frozenset(StateDetails.__slots__)


def to_state(value: Any) -> State[Any] | None:
    """A `State` from a recorded state (``{"type", "name", "message", "timestamp",
    "details"}``); a `State` or None as given."""
    if value is None or isinstance(value, State):
        return value
    # a server answers its times as ISO 8601 strings, the embedded record as epoch seconds
    value = epoch_times(value)
    details = {k: v for k, v in (value.get("details") or {}).items() if k in _DETAILS}
    return State(
        StateType(value["type"]),
        value.get("name"),
        value.get("message"),
        state_details=StateDetails(**details) if details else None,
        ts=value.get("timestamp"),
    )


class _Object(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, extra="ignore")

    created: datetime | None = None
    updated: datetime | None = None


class _Run(_Object):
    id: UUID
    name: str
    tags: list[str] = Field(default_factory=list)
    state: State[Any] | None = None
    state_type: StateType | None = None
    state_name: str | None = None
    run_count: int = 0
    expected_start_time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    total_run_time: timedelta = timedelta(0)

    _state = field_validator("state", mode="before")(lambda cls, v: to_state(v))


class FlowRun(_Run):
    """A flow run (Prefect's ``FlowRun``); ``flow_name`` and ``parent_flow_run_id`` are
    cadenza's additions."""

    flow_id: UUID
    flow_name: str | None = None
    flow_version: str | None = None
    deployment_id: UUID | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] = Field(default_factory=dict)
    parent_task_run_id: UUID | None = None
    parent_flow_run_id: UUID | None = None
    next_scheduled_start_time: datetime | None = None
    auto_scheduled: bool = False
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] | None = None


class TaskRun(_Run):
    """A task run (Prefect's ``TaskRun``); ``task_name`` is cadenza's addition."""

    flow_run_id: UUID | None = None
    task_key: str
    task_name: str | None = None
    cache_key: str | None = None


class Flow(_Object):
    id: UUID
    name: str
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)


class Deployment(_Object):
    """A deployment as read (Prefect's ``DeploymentResponse``)."""

    id: UUID
    name: str
    flow_id: UUID
    flow_name: str | None = None
    version: str | None = None
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    parameter_openapi_schema: dict[str, Any] | None = None
    tags: list[str] = Field(default_factory=list)
    paused: bool = False
    schedules: list[dict[str, Any]] = Field(default_factory=list)
    concurrency_limit: int | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    entrypoint: str | None = None
    path: str | None = None


DeploymentResponse = Deployment


class Log(_Object):
    id: int | UUID | None = None
    name: str
    level: int
    message: str
    timestamp: datetime
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None


class Variable(_Object):
    id: UUID | None = None
    name: str
    value: Any = None
    tags: list[str] = Field(default_factory=list)


class Artifact(_Object):
    id: UUID
    key: str | None = None
    type: str | None = None
    description: str | None = None
    data: Any = None
    metadata_: dict[str, str] | None = None
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None


class BlockDocument(_Object):
    """A saved block: ``data`` holds its fields (secrets in clear unless ``include_secrets``
    was False, then ``**********``)."""

    id: UUID | None = None
    name: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    block_type_slug: str | None = None
    block_type_name: str | None = None
    is_anonymous: bool = False


class WorkPool(_Object):
    id: UUID | None = None
    name: str
    type: str = "process"
    description: str | None = None
    concurrency_limit: int | None = None
    is_paused: bool = False
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    default_queue_id: UUID | None = None


class SetStateStatus(str, enum.Enum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    ABORT = "ABORT"
    WAIT = "WAIT"


class StateAcceptDetails(BaseModel):
    type: str = "accept_details"


class StateRejectDetails(BaseModel):
    type: str = "reject_details"
    reason: str | None = None


class StateAbortDetails(BaseModel):
    type: str = "abort_details"
    reason: str | None = None


class StateWaitDetails(BaseModel):
    type: str = "wait_details"
    delay_seconds: float = 0
    reason: str | None = None


class OrchestrationResult(BaseModel):
    """What ``set_flow_run_state`` answers: whether the state was accepted (``status``), the
    state the run is in now (``state``) and why (``details``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    state: State[Any] | None = None
    status: SetStateStatus
    details: StateAcceptDetails | StateRejectDetails | StateAbortDetails | StateWaitDetails


__all__ = [
    "Artifact",
    "BlockDocument",
    "Deployment",
    "DeploymentResponse",
    "Flow",
    "FlowRun",
    "Log",
    "OrchestrationResult",
    "SetStateStatus",
    "State",
    "StateAbortDetails",
    "StateAcceptDetails",
    "StateDetails",
    "StateRejectDetails",
    "StateType",
    "StateWaitDetails",
    "TaskRun",
    "Variable",
    "WorkPool",
    "to_state",
]
