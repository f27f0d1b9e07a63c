"""Request bodies of the HTTP API (docs/reference/http-api.md), as pydantic models.

Unknown fields are ignored, so a newer client may send more than this server reads. Times are
epoch seconds. Sizes are bounded so that one request cannot exhaust memory beyond the 8 MiB body
limit's worth.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cadenza.states import StateType

_Id = Field(min_length=1, max_length=200)
Epoch = Annotated[float, Field(ge=0, le=253_402_300_799)]  # up to the year 9999
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class DetailsIn(_Model):
    """The state details a record keeps (run ids travel as fields of their own)."""

    scheduled_time: Epoch | None = None
    retry_count: Count | None = None
    cache_key: str | None = None


class StateIn(_Model):
    type: StateType
    name: str | None = Field(None, max_length=200)
    message: str | None = None
    timestamp: Epoch
    details: DetailsIn | None = None
    result_ref: str | None = None


class FlowRunIn(_Model):
    id: str = _Id
    name: str
    flow_name: str
    flow_version: str | None = None
    parent_flow_run_id: str | None = None
    parent_task_run_id: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    created: Epoch
    retries: Count = 0
    entrypoint: str | None = None
    resumed_from: str | None = None

    def row(self) -> dict[str, Any]:
        row = self.model_dump()
        row["parameters"] = json.dumps(self.parameters, default=repr)
        row["tags"] = json.dumps(self.tags)
        return row


class TaskRunIn(_Model):
    id: str = _Id
    flow_run_id: str | None = None
    name: str
    task_name: str
    task_key: str
    tags: list[str] = Field(default_factory=list)
    created: Epoch
    retries: Count = 0
    cache_key: str | None = None

    def row(self) -> dict[str, Any]:
        row = self.model_dump()
        row["tags"] = json.dumps(self.tags)
        return row


class SetStateIn(_Model):
    transition_id: str = _Id
    run_count: Count | None = None
    state: StateIn


class TransitionIn(SetStateIn):
    run_id: str = _Id
    flow_run_id: str | None = None


class LogIn(_Model):
    flow_run_id: str | None = None
    task_run_id: str | None = None
    level: Annotated[int, Field(ge=0, le=1000)]
    logger: str
    message: str
    timestamp: Epoch


class ArtifactIn(_Model):
    id: str = _Id
    key: str | None = Field(None, max_length=200, pattern=r"^[a-z0-9-]+$")
    type: Literal["markdown", "table", "link", "progress", "image"]
    description: str | None = None
    data: Any
    flow_run_id: str | None = None
    task_run_id: str | None = None
    created: Epoch

    def row(self) -> dict[str, Any]:
        row = self.model_dump()
        row["data"] = json.dumps(self.data, default=repr)
        return row


class ArtifactUpdateIn(_Model):
    """A new value for a progress artifact (and its description, unless null)."""

    id: str = _Id
    data: Annotated[float, Field(ge=0, le=100)]
    description: str | None = None


class CacheEntryIn(_Model):
    key: str = Field(min_length=1, max_length=2000)
    result_ref: str
    task_key: str | None = None
    task_run_id: str | None = None
    created: Epoch
    expiration: Epoch | None = None


class BatchIn(_Model):
    task_runs: list[TaskRunIn] = Field(default_factory=list)
    transitions: list[TransitionIn] = Field(default_factory=list)
    logs: list[LogIn] = Field(default_factory=list)
    artifacts: list[ArtifactIn] = Field(default_factory=list)
    artifact_updates: list[ArtifactUpdateIn] = Field(default_factory=list)
    cache_entries: list[CacheEntryIn] = Field(default_factory=list)


class BlockIn(_Model):
    """A block's fields in the open form of `cadenza.blocks.sealing` (secrets in clear text:
    the server encrypts them before writing)."""

    data: dict[str, Any]
    schema_checksum: str = Field(min_length=1, max_length=200)
    overwrite: bool = False


class VariableIn(_Model):
    value: Any
    tags: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=100)
    overwrite: bool = False


class DecisionOut(BaseModel):
    decision: str
    reason: str
    delay: float


class RejectedOut(BaseModel):
    transition_id: str
    reason: str


class BatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[RejectedOut]
