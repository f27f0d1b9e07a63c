"""Request bodies of the HTTP API (docs/reference/http-api.md), as pydantic models.

Unknown fields are ignored, so a newer client may send more than this server reads. Sizes are
bounded so that one request cannot exhaust memory beyond the 8 MiB body limit's worth.

Times are epoch seconds or ISO 8601 strings (`Epoch`); answers give ISO 8601 UTC strings.

Two kinds of strings: an `Id` (run, transition, artifact ids) must be 1-200 characters without
control characters (NUL, newlines, ...) or lone surrogates, else the request is refused (422); free
`Text` (names, messages, tags, JSON values) is made `cadenza._text.storable` — lone surrogates
and NUL escaped, over-long text cut with a marker — so every database can store it.
"""

from __future__ import annotations

import json
import re
import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from cadenza._text import storable, storable_value
from cadenza._times import epoch
from cadenza.events.schemas.events import EventIn
from cadenza.states import StateType

_NOT_AN_ID = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _checked_id(value: object) -> object:
    if isinstance(value, str) and _NOT_AN_ID.search(value):
        raise PydanticCustomError(
            "id_characters",
            "an id must not contain control characters (such as NUL or a newline) or lone "
            "surrogates",
        )
    return value


def _storable(value: object) -> object:
    return storable(value) if isinstance(value, str) else value


# Both run before pydantic's own checks: a str with a length limit or a pattern that holds a
# lone surrogate would otherwise be refused as "unable to parse raw data as a unicode string".
Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"},
    ),
    BeforeValidator(_checked_id),
]
"""A record's id: refused (422) when it holds control characters or lone surrogates."""
Text = Annotated[str, BeforeValidator(_storable)]
"""Free text, made storable (see the module docstring)."""
Name = Annotated[str, Field(max_length=200), BeforeValidator(_storable)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(storable_value)]
JsonValue = Annotated[Any, BeforeValidator(storable_value)]
Tags = list[Text]
TaskInputs = Annotated[
    dict[Name, Annotated[list[Id], Field(max_length=100_000)]], Field(max_length=10_000)
]
"""A task run's upstream runs: parameter name (or ``wait_for``) -> task-run ids."""


def _epoch(value: object) -> object:
    """An ISO 8601 string as epoch seconds (a time the API answered, sent back as it came)."""
    if isinstance(value, str):
        try:
            return epoch(value)
        except (ValueError, OverflowError):
            raise PydanticCustomError(
                "time", "a time must be epoch seconds or an ISO 8601 string"
            ) from None
    return value


Epoch = Annotated[float, Field(ge=0, le=253_402_300_799), BeforeValidator(_epoch)]  # to 9999
"""A time: epoch seconds, or an ISO 8601 string (UTC when it names no offset)."""
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Level = Annotated[int, Field(ge=0, le=2**31 - 1)]
MAX_LEASE = 7 * 24 * 3600
Lease = Annotated[float, Field(gt=0, le=MAX_LEASE)]  # seconds a flow run stays alive unrenewed


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class DetailsIn(_Model):
    """The state details a record keeps (run ids travel as fields of their own)."""

    scheduled_time: Epoch | None = None
    retry_count: Count | None = None
    cache_key: Text | None = None
    # a Paused state's (cadenza.flow_runs): resumable until, key, reschedule, input keys
    pause_timeout: Epoch | None = None
    pause_key: Name | None = None
    pause_reschedule: bool | None = None
    run_input_keyset: dict[Literal["description", "response", "schema"], Name] | None = None


class StateIn(_Model):
    type: StateType
    name: Name | None = None
    message: Text | None = None
    timestamp: Epoch
    details: DetailsIn | None = None
    result_ref: Text | None = None


class FlowRunIn(_Model):
    id: Id
    name: Text
    flow_name: Text
    flow_version: Text | None = None
    parent_flow_run_id: Id | None = None
    parent_task_run_id: Id | None = None
    parameters: JsonObject = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    created: Epoch
    retries: Count = 0
    entrypoint: Text | None = None
    resumed_from: Id | None = None
    pid: Count | None = None
    hostname: Name | None = None
    lease_seconds: Lease | None = Field(
        None,
        description="The run's first lease: unless a heartbeat renews it within this many "
        "seconds, the server marks the run Crashed. None: never.",
    )

    def row(self) -> dict[str, Any]:
        row = self.model_dump(exclude={"lease_seconds"})
        row["parameters"] = json.dumps(self.parameters, default=repr)
        row["tags"] = json.dumps(self.tags)
        row["lease_expires"] = (
            time.time() + self.lease_seconds if self.lease_seconds is not None else None
        )
        return row


class HeartbeatIn(_Model):
    """A process's heartbeat for its active flow runs: each lease renewed for `lease_seconds`."""

    flow_run_ids: list[Id] = Field(max_length=10_000)
    lease_seconds: Lease


class HeartbeatOut(BaseModel):
    renewed: list[str]
    final: list[str] = Field(description="Runs already in a final state: nothing renewed.")
    unknown: list[str]


class TaskRunIn(_Model):
    """A task run; its flow run must be known to the server (null: a task called outside a
    flow)."""

    id: Id
    flow_run_id: Id | None = None
    name: Text
    task_name: Text
    task_key: Text
    tags: Tags = Field(default_factory=list)
    created: Epoch
    retries: Count = 0
    cache_key: Text | None = None
    task_inputs: TaskInputs | None = Field(
        None,
        description="parameter name (or `wait_for`) -> ids of the task runs it came from",
    )

    def row(self) -> dict[str, Any]:
        row = self.model_dump()
        row["tags"] = json.dumps(self.tags)
        row["task_inputs"] = json.dumps(self.task_inputs) if self.task_inputs else None
        return row


class SetStateIn(_Model):
    transition_id: Id
    run_count: Count | None = None
    state: StateIn


class ForcibleSetStateIn(SetStateIn):
    force: bool = Field(
        False, description="Accept the state without asking the orchestration rules."
    )


class TransitionIn(SetStateIn):
    run_id: Id
    flow_run_id: Id | None = None


class LogIn(_Model):
    flow_run_id: Id | None = None
    task_run_id: Id | None = None
    level: Level
    logger: Text
    message: Text
    timestamp: Epoch
    id: Id | None = Field(
        None, description="The line's id given by the recording process: a line is kept once."
    )

    def row(self) -> dict[str, Any]:
        row = self.model_dump(exclude={"id"})
        row["uid"] = self.id
        return row


class ArtifactIn(_Model):
    id: Id
    key: str | None = Field(None, max_length=200, pattern=r"^[a-z0-9-]+$")
    type: Literal["markdown", "table", "link", "progress", "image"]
    description: Text | None = None
    data: JsonValue
    flow_run_id: Id | None = None
    task_run_id: Id | None = None
    created: Epoch

    def row(self) -> dict[str, Any]:
        row = self.model_dump()
        row["data"] = json.dumps(self.data, default=repr)
        return row


class ArtifactUpdateIn(_Model):
    """A new value for a progress artifact (and its description, unless null)."""

    id: Id
    data: Annotated[float, Field(ge=0, le=100)]
    description: Text | None = None


class CacheEntryIn(_Model):
    key: Annotated[str, Field(min_length=1, max_length=2000), BeforeValidator(_storable)]
    result_ref: Text
    task_key: Text | None = None
    task_run_id: Id | None = None
    created: Epoch
    expiration: Epoch | None = None


class BatchIn(_Model):
    task_runs: list[TaskRunIn] = Field(default_factory=list)
    transitions: list[TransitionIn] = Field(default_factory=list)
    logs: list[LogIn] = Field(default_factory=list)
    artifacts: list[ArtifactIn] = Field(default_factory=list)
    artifact_updates: list[ArtifactUpdateIn] = Field(default_factory=list)
    cache_entries: list[CacheEntryIn] = Field(default_factory=list)
    events: list[EventIn] = Field(default_factory=list)


class BlockIn(_Model):
    """A block's fields in the open form of `cadenza.blocks.sealing` (secrets in clear text:
    the server encrypts them before writing)."""

    data: JsonObject
    schema_checksum: Annotated[str, Field(min_length=1, max_length=200), BeforeValidator(_storable)]
    overwrite: bool = False


class VariableIn(_Model):
    value: JsonValue
    tags: list[Name] = Field(default_factory=list, max_length=100)
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


__all__ = [
    "MAX_LEASE",
    "ArtifactIn",
    "ArtifactUpdateIn",
    "BatchIn",
    "BatchOut",
    "BlockIn",
    "CacheEntryIn",
    "Count",
    "DecisionOut",
    "DetailsIn",
    "Epoch",
    "FlowRunIn",
    "ForcibleSetStateIn",
    "HeartbeatIn",
    "HeartbeatOut",
    "Id",
    "JsonObject",
    "JsonValue",
    "Lease",
    "Level",
    "LogIn",
    "Name",
    "RejectedOut",
    "SetStateIn",
    "StateIn",
    "Tags",
    "TaskRunIn",
    "Text",
    "TransitionIn",
    "VariableIn",
]
