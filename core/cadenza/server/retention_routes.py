"""Routes that delete flow runs (docs/reference/http-api.md): one by id, or many by ids and
filters, each with its subflow runs and everything recorded under them
(`cadenza.store.run_deletion`).

A bulk delete removes at most ``limit`` top-level runs per request and answers a ``cursor`` to
send back as ``after`` for the next ones, so no request runs for long. The server never deletes
result files: with ``results``, it answers the references that no remaining row uses, for the
client to delete (`cadenza.results.discard`) where the files are.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from cadenza.server.catalog import Conflict
from cadenza.server.errors import CONFLICT, NOT_FOUND
from cadenza.server.models import Id, Name
from cadenza.server.store import Store
from cadenza.store import run_deletion
from cadenza.store.queries import VALID_STATE_TYPES
from cadenza.store.retention import parse_duration

MAX_IDS = 10_000
MAX_LIMIT = 10_000


class DeleteIn(BaseModel):
    """Which flow runs to delete: `ids`, or every top-level run matching all the filters given
    (with `ids` too, only the ids that match)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    ids: list[Id] = Field(default_factory=list, max_length=MAX_IDS)
    older_than: str | float | None = Field(
        None, description='ended (or, unfinished, created) longer ago than this: "30d", "12h", '
        '"90m", "45s" or seconds')  # fmt: skip
    states: list[str] = Field(default_factory=list, max_length=len(VALID_STATE_TYPES),
                              description="state types, e.g. COMPLETED")  # fmt: skip
    flow_name: Name | None = None
    force: bool = Field(False, description="delete runs that are not in a final state too")
    dry_run: bool = Field(False, description="count what would go; delete nothing")
    results: bool = Field(False, description="answer the result references no row uses now")
    limit: int = Field(1000, ge=1, le=MAX_LIMIT, description="top-level runs per request")
    after: Id | None = Field(None, description="the cursor of the previous answer")

    @field_validator("older_than")
    @classmethod
    def _duration(cls, value: str | float | None) -> float | None:
        if isinstance(value, str) and len(value) > 40:
            raise ValueError("not a duration; write e.g. 30d, 12h, 90m, 45s or seconds")
        return parse_duration(value, "older_than")

    @field_validator("states")
    @classmethod
    def _states(cls, value: list[str]) -> list[str]:
        normal = [s.strip().upper() for s in value]
        unknown = [s for s in normal if s not in VALID_STATE_TYPES]
        if unknown:
            raise ValueError(f"unknown state type; expected one of: {' '.join(VALID_STATE_TYPES)}")
        return normal


class SkippedOut(BaseModel):
    id: str
    reason: str


class DeleteOut(BaseModel):
    dry_run: bool
    deleted: dict[str, int] = Field(description="rows per table (a dry run: that would go)")
    skipped: list[SkippedOut] = Field(description="runs left, e.g. not in a final state")
    missing: list[str] = Field(description="ids the server does not record")
    result_refs: list[str] = Field(description="with `results`: references no row uses now")
    cursor: str | None = Field(description="more may match: send it back as `after`")


def router(store: Store) -> APIRouter:
    api = APIRouter(tags=["deleting runs"])

    @api.delete("/flow_runs/{run_id}", responses={**NOT_FOUND, **CONFLICT})
    def delete_flow_run(
        run_id: Annotated[Id, Path()],
        force: bool = Query(False, description="delete it even if it is not in a final state"),
        results: bool = Query(False, description="answer the result references no row uses"),
    ) -> DeleteOut:
        """Delete a flow run with its subflow runs, task runs, states, logs, artifacts and
        inputs. 409 (nothing deleted) when one of them is not in a final state, unless
        `force`."""
        report = run_deletion.delete_flow_runs(store, [run_id], force=force, results=results)
        if report.missing:
            raise LookupError(f"No flow run with id {run_id!r}")
        if report.skipped and not report.counts["flow_runs"]:
            raise Conflict(f"Flow run {run_id} was not deleted: {report.skipped[0]['reason']}")
        return DeleteOut(**report.as_dict())

    @api.post("/flow_runs/delete")
    def delete_flow_runs(body: DeleteIn) -> DeleteOut:
        """Delete flow runs by ids and/or filters (see `DeleteIn`); at most `limit` top-level
        runs per request, with their subflow runs and what is recorded under them."""
        if not body.ids and body.older_than is None and not body.states and not body.flow_name:
            raise ValueError("Name the flow runs to delete: give ids or a filter "
                             "(older_than, states, flow_name)")  # fmt: skip
        report = run_deletion.delete_flow_runs(
            store, body.ids, older_than=_seconds(body.older_than), states=body.states,
            flow_name=body.flow_name, force=body.force, dry_run=body.dry_run,
            results=body.results, limit=body.limit, after=body.after,
        )  # fmt: skip
        return DeleteOut(**report.as_dict())

    return api


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


__all__ = ["DeleteIn", "DeleteOut", "router"]
