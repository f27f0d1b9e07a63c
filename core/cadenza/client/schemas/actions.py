"""What the client's create and update methods take, with Prefect's names: `VariableCreate`,
`VariableUpdate`, `ArtifactCreate`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariableCreate(_Action):
    name: str
    value: Any
    tags: list[str] | None = None


class VariableUpdate(_Action):
    name: str
    value: Any = None
    tags: list[str] | None = None


class ArtifactCreate(_Action):
    key: str | None = None
    type: str | None = None
    description: str | None = None
    data: Any = None
    metadata_: dict[str, str] | None = Field(default=None)
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None


__all__ = ["ArtifactCreate", "VariableCreate", "VariableUpdate"]
