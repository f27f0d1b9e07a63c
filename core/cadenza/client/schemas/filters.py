"""Filters of the client's reads, with Prefect's names and fields (``FlowRunFilter(state=
FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED])))``).

A filter is a pydantic model; what it means is decided once, in `cadenza.store.run_filters`,
which takes its JSON (``model_dump(mode="json", exclude_unset=True)``) — directly for the
embedded record, through ``POST /api/.../filter`` for a server. Unknown fields are refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from cadenza.states import StateType


class _Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Operator(_Filter):
    operator: Literal["and_", "or_"] = "and_"


class _Times(_Filter):
    before_: datetime | None = None
    after_: datetime | None = None
    is_null_: bool | None = None


# -- flows -------------------------------------------------------------------------------------
class FlowFilterId(_Filter):
    any_: list[UUID] | None = None


class FlowFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class FlowFilter(_Operator):
    id: FlowFilterId | None = None
    name: FlowFilterName | None = None


# -- flow runs ---------------------------------------------------------------------------------
class FlowRunFilterId(_Filter):
    any_: list[UUID] | None = None
    not_any_: list[UUID] | None = None


class FlowRunFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class FlowRunFilterTags(_Operator):
    all_: list[str] | None = None
    any_: list[str] | None = None
    is_null_: bool | None = None


class FlowRunFilterDeploymentId(_Operator):
    any_: list[UUID] | None = None
    is_null_: bool | None = None


class FlowRunFilterWorkQueueName(_Operator):
    any_: list[str] | None = None
    is_null_: bool | None = None


class FlowRunFilterStateType(_Filter):
    any_: list[StateType] | None = None
    not_any_: list[StateType] | None = None


class FlowRunFilterStateName(_Filter):
    any_: list[str] | None = None
    not_any_: list[str] | None = None


class FlowRunFilterState(_Operator):
    type: FlowRunFilterStateType | None = None
    name: FlowRunFilterStateName | None = None


class FlowRunFilterFlowVersion(_Filter):
    any_: list[str] | None = None


class FlowRunFilterStartTime(_Times):
    pass


class FlowRunFilterEndTime(_Times):
    pass


class FlowRunFilterExpectedStartTime(_Filter):
    before_: datetime | None = None
    after_: datetime | None = None


class FlowRunFilterNextScheduledStartTime(_Filter):
    before_: datetime | None = None
    after_: datetime | None = None


class FlowRunFilterParentFlowRunId(_Operator):
    any_: list[UUID] | None = None


class FlowRunFilterParentTaskRunId(_Operator):
    any_: list[UUID] | None = None
    is_null_: bool | None = None


class FlowRunFilterIdempotencyKey(_Filter):
    any_: list[str] | None = None
    not_any_: list[str] | None = None


class FlowRunFilter(_Operator):
    id: FlowRunFilterId | None = None
    name: FlowRunFilterName | None = None
    tags: FlowRunFilterTags | None = None
    deployment_id: FlowRunFilterDeploymentId | None = None
    work_queue_name: FlowRunFilterWorkQueueName | None = None
    state: FlowRunFilterState | None = None
    flow_version: FlowRunFilterFlowVersion | None = None
    start_time: FlowRunFilterStartTime | None = None
    end_time: FlowRunFilterEndTime | None = None
    expected_start_time: FlowRunFilterExpectedStartTime | None = None
    next_scheduled_start_time: FlowRunFilterNextScheduledStartTime | None = None
    parent_flow_run_id: FlowRunFilterParentFlowRunId | None = None
    parent_task_run_id: FlowRunFilterParentTaskRunId | None = None
    idempotency_key: FlowRunFilterIdempotencyKey | None = None


# -- task runs ---------------------------------------------------------------------------------
class TaskRunFilterFlowRunId(_Filter):
    any_: list[UUID] | None = None
    is_null_: bool | None = None


class TaskRunFilterId(_Filter):
    any_: list[UUID] | None = None


class TaskRunFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class TaskRunFilterTags(_Operator):
    all_: list[str] | None = None
    is_null_: bool | None = None


class TaskRunFilterStateType(_Filter):
    any_: list[StateType] | None = None


class TaskRunFilterStateName(_Filter):
    any_: list[str] | None = None


class TaskRunFilterState(_Operator):
    type: TaskRunFilterStateType | None = None
    name: TaskRunFilterStateName | None = None


class TaskRunFilterSubFlowRuns(_Filter):
    exists_: bool | None = None


class TaskRunFilterStartTime(_Times):
    pass


class TaskRunFilterEndTime(_Times):
    pass


class TaskRunFilter(_Operator):
    id: TaskRunFilterId | None = None
    name: TaskRunFilterName | None = None
    tags: TaskRunFilterTags | None = None
    state: TaskRunFilterState | None = None
    start_time: TaskRunFilterStartTime | None = None
    end_time: TaskRunFilterEndTime | None = None
    subflow_runs: TaskRunFilterSubFlowRuns | None = None
    flow_run_id: TaskRunFilterFlowRunId | None = None


# -- deployments -------------------------------------------------------------------------------
class DeploymentFilterId(_Filter):
    any_: list[UUID] | None = None
    not_any_: list[UUID] | None = None


class DeploymentFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class DeploymentFilterTags(_Operator):
    all_: list[str] | None = None
    any_: list[str] | None = None
    is_null_: bool | None = None


class DeploymentFilterWorkQueueName(_Filter):
    any_: list[str] | None = None


class DeploymentFilter(_Operator):
    id: DeploymentFilterId | None = None
    name: DeploymentFilterName | None = None
    tags: DeploymentFilterTags | None = None
    work_queue_name: DeploymentFilterWorkQueueName | None = None


# -- logs --------------------------------------------------------------------------------------
class LogFilterName(_Filter):
    any_: list[str] | None = None


class LogFilterLevel(_Filter):
    ge_: int | None = None
    le_: int | None = None


class LogFilterTimestamp(_Filter):
    before_: datetime | None = None
    after_: datetime | None = None


class LogFilterFlowRunId(_Filter):
    any_: list[UUID] | None = None


class LogFilterTaskRunId(_Filter):
    any_: list[UUID] | None = None


class LogFilterTextSearch(_Filter):
    query: str


class LogFilter(_Operator):
    name: LogFilterName | None = None
    level: LogFilterLevel | None = None
    timestamp: LogFilterTimestamp | None = None
    flow_run_id: LogFilterFlowRunId | None = None
    task_run_id: LogFilterTaskRunId | None = None
    text: LogFilterTextSearch | None = None


# -- artifacts ---------------------------------------------------------------------------------
class ArtifactFilterId(_Filter):
    any_: list[UUID] | None = None


class ArtifactFilterKey(_Filter):
    any_: list[str] | None = None
    like_: str | None = None
    exists_: bool | None = None


class ArtifactFilterFlowRunId(_Filter):
    any_: list[UUID] | None = None


class ArtifactFilterTaskRunId(_Filter):
    any_: list[UUID] | None = None


class ArtifactFilterType(_Filter):
    any_: list[str] | None = None
    not_any_: list[str] | None = None


class ArtifactFilter(_Operator):
    id: ArtifactFilterId | None = None
    key: ArtifactFilterKey | None = None
    flow_run_id: ArtifactFilterFlowRunId | None = None
    task_run_id: ArtifactFilterTaskRunId | None = None
    type: ArtifactFilterType | None = None


def dump(model: BaseModel | None) -> dict[str, object] | None:
    """A filter as the store and the API take it: its JSON, without the fields left unset."""
    return None if model is None else model.model_dump(mode="json", exclude_unset=True)


__all__ = [
    "ArtifactFilter",
    "ArtifactFilterFlowRunId",
    "ArtifactFilterId",
    "ArtifactFilterKey",
    "ArtifactFilterTaskRunId",
    "ArtifactFilterType",
    "DeploymentFilter",
    "DeploymentFilterId",
    "DeploymentFilterName",
    "DeploymentFilterTags",
    "DeploymentFilterWorkQueueName",
    "FlowFilter",
    "FlowFilterId",
    "FlowFilterName",
    "FlowRunFilter",
    "FlowRunFilterDeploymentId",
    "FlowRunFilterEndTime",
    "FlowRunFilterExpectedStartTime",
    "FlowRunFilterFlowVersion",
    "FlowRunFilterId",
    "FlowRunFilterIdempotencyKey",
    "FlowRunFilterName",
    "FlowRunFilterNextScheduledStartTime",
    "FlowRunFilterParentFlowRunId",
    "FlowRunFilterParentTaskRunId",
    "FlowRunFilterStartTime",
    "FlowRunFilterState",
    "FlowRunFilterStateName",
    "FlowRunFilterStateType",
    "FlowRunFilterTags",
    "FlowRunFilterWorkQueueName",
    "LogFilter",
    "LogFilterFlowRunId",
    "LogFilterLevel",
    "LogFilterName",
    "LogFilterTaskRunId",
    "LogFilterTextSearch",
    "LogFilterTimestamp",
    "TaskRunFilter",
    "TaskRunFilterEndTime",
    "TaskRunFilterFlowRunId",
    "TaskRunFilterId",
    "TaskRunFilterName",
    "TaskRunFilterStartTime",
    "TaskRunFilterState",
    "TaskRunFilterStateName",
    "TaskRunFilterStateType",
    "TaskRunFilterSubFlowRuns",
    "TaskRunFilterTags",
    "dump",
]
