"""Routes that steer runs already under way (docs/reference/http-api.md): reading the recorded
states of flow runs (how a running process learns it was asked to stop) and cancelling a flow
run with its subflow runs (`cadenza.store.run_control`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from cadenza.server.errors import NOT_FOUND, error_response
from cadenza.server.models import Id, Text, _Model
from cadenza.server.store import Store
from cadenza.store import run_control, run_retry


class StatesIn(_Model):
    """The flow runs whose recorded states a process wants to know."""

    flow_run_ids: list[Id] = Field(max_length=10_000)


class RunStateOut(BaseModel):
    type: str | None
    name: str | None


class StatesOut(BaseModel):
    states: dict[str, RunStateOut] = Field(description="Only the runs the server records.")


class CancelIn(_Model):
    reason: Text | None = Field(None, max_length=10_000)
    force: bool = Field(
        False,
        description="Cancelled at once, with its subflow and task runs, whatever runs them "
        "(a worker that killed the run's process after the grace period says so).",
    )


class CancelOut(BaseModel):
    id: str
    state: dict[str, Any] = Field(description="The run's state before this request.")
    cancelling: list[str] = Field(description="Runs now Cancelling: their processes stop them.")
    cancelled: list[str] = Field(description="Runs nothing was running: Cancelled at once.")
    final: bool = Field(description="The run had already ended; nothing changed.")


class RetryOut(BaseModel):
    id: str
    state: dict[str, Any] = Field(description="The run's new state: Scheduled (AwaitingRetry).")


RETRY_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The run is not Failed, Crashed or Cancelled, or has no deployment"}
}


def router(store: Store) -> APIRouter:
    api = APIRouter(tags=["run control"])

    @api.post("/flow_runs/states")
    async def flow_run_states(body: StatesIn) -> StatesOut:
        found = await run_in_threadpool(run_control.flow_run_states, store, body.flow_run_ids)
        return StatesOut(states={rid: RunStateOut(type=t, name=n) for rid, (t, n) in found.items()})

    @api.post("/flow_runs/{run_id}/cancel", responses=NOT_FOUND)
    def cancel_flow_run(run_id: Annotated[Id, Path()], body: CancelIn | None = None) -> CancelOut:
        """Cancel a flow run and its active subflow runs: Cancelling while a process runs it
        (the process stops and reports Cancelled), Cancelled at once when nothing does."""
        body = body or CancelIn()
        answer = run_control.cancel_flow_run(store, run_id, body.reason, force=body.force)
        return CancelOut(**answer)

    @api.post(
        "/flow_runs/{run_id}/retry",
        response_model=RetryOut,
        responses={**NOT_FOUND, **RETRY_CONFLICT},
    )
    def retry_flow_run(run_id: Annotated[Id, Path()]) -> Any:
        """Run a deployment's Failed, Crashed or Cancelled flow run again: it becomes Scheduled
        (AwaitingRetry) and due now, for a worker or `serve` process of its deployment to claim.
        409 for a run in another state or without a deployment."""
        try:
            return RetryOut(**run_retry.retry_flow_run(store, run_id))
        except run_retry.NotRetryable as exc:
            return error_response(409, str(exc), [((exc.field,), "not retryable")])

    return api


__all__ = ["router"]
