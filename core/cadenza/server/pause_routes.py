"""Routes of paused flow runs (docs/reference/http-api.md): resuming one, and the flow-run
inputs a paused run waits for (`cadenza.store.pause`).

Input values travel as JSON and are stored as given; one that does not fit the paused run's
schema is refused (422, each field named in ``errors``), and the run stays Paused. Resuming a
run that is not paused, or whose pause timed out, is refused with 409: ``errors`` then holds
one item whose ``loc`` is ``["state"]`` (not paused) or ``["pause_timeout"]`` (timed out).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from cadenza.exceptions import FlowPauseTimeout, InvalidRunInput, NotPausedError
from cadenza.server.errors import NOT_FOUND, Refused, error_response
from cadenza.server.models import Id, _Model
from cadenza.server.store import Store
from cadenza.server.times import IsoTime
from cadenza.store import pause
from cadenza.store.input_values import MAX_KEY

Key = Annotated[str, Path(min_length=1, max_length=MAX_KEY)]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The run is not paused, or its pause timed out"},
    **NOT_FOUND,
}


class ResumeIn(_Model):
    # Any, checked by the store: a key that is not valid text is refused there by its path
    run_input: Any = Field(
        None, description="The input the paused run waits for (a JSON object), if any."
    )


class ResumeOut(BaseModel):
    id: str
    state: dict[str, Any] = Field(
        description="The run's new state: Running (its process goes on) or Scheduled named "
        "Resuming (a suspended run: a worker runs it again)."
    )
    input_key: str = Field(description="The key under which the input was stored.")


class InputIn(_Model):
    key: str = Field(min_length=1, max_length=MAX_KEY)
    value: Any = Field(description="Any JSON value (at most 4 MiB as stored).")
    sender: str | None = Field(None, max_length=MAX_KEY)


class FilterIn(_Model):
    prefix: str = Field(max_length=MAX_KEY)
    limit: int = Field(1, ge=1, le=1000)
    exclude_keys: list[str] = Field(default_factory=list, max_length=500)


class InputOut(BaseModel):
    id: str
    flow_run_id: str
    key: str
    value: Any
    sender: str | None
    created: IsoTime


def _refused(exc: InvalidRunInput, where: tuple[str, ...]) -> Refused:
    return Refused([((*where, *path), msg) for path, msg in exc.problems])


def router(store: Store) -> APIRouter:
    api = APIRouter(tags=["pause"])

    @api.post("/flow_runs/{run_id}/resume", response_model=ResumeOut, responses=CONFLICT)
    async def resume_flow_run(run_id: Annotated[Id, Path()], body: ResumeIn | None = None) -> Any:
        """Resume a paused flow run, giving it `run_input` (validated against what it waits
        for): it goes Running, or Scheduled (Resuming) when it was suspended."""
        run_input = body.run_input if body is not None else None
        try:
            answer = await run_in_threadpool(pause.resume_flow_run, store, run_id, run_input)
        except InvalidRunInput as exc:
            raise _refused(exc, ("body", "run_input")) from None
        except NotPausedError as exc:
            return error_response(409, str(exc), [(("state",), "not paused")])
        except FlowPauseTimeout as exc:
            return error_response(409, str(exc), [(("pause_timeout",), "timed out")])
        return ResumeOut(**answer)

    @api.post("/flow_runs/{run_id}/input", status_code=201, responses=CONFLICT)
    async def create_flow_run_input(run_id: Annotated[Id, Path()], body: InputIn) -> InputOut:
        """Store an input of a flow run (409 if it has one under that key)."""
        try:
            row = await run_in_threadpool(
                pause.create_input, store, run_id, body.key, body.value, body.sender
            )
        except InvalidRunInput as exc:
            raise _refused(exc, ("body", "value")) from None
        return InputOut(**row)

    @api.post("/flow_runs/{run_id}/input/filter")
    async def filter_flow_run_input(
        run_id: Annotated[Id, Path()], body: FilterIn
    ) -> list[InputOut]:
        """The run's inputs whose key starts with `prefix`, oldest first."""
        rows = await run_in_threadpool(
            pause.filter_inputs, store, run_id, body.prefix, body.limit, body.exclude_keys
        )
        return [InputOut(**row) for row in rows]

    @api.get("/flow_runs/{run_id}/input/{key}", responses=NOT_FOUND)
    async def read_flow_run_input(run_id: Annotated[Id, Path()], key: Key) -> InputOut:
        row = await run_in_threadpool(pause.read_input, store, run_id, key)
        if row is None:
            raise HTTPException(404, f"flow run {run_id} has no input {key!r}")
        return InputOut(**row)

    @api.delete("/flow_runs/{run_id}/input/{key}", status_code=204, responses=NOT_FOUND)
    async def delete_flow_run_input(run_id: Annotated[Id, Path()], key: Key) -> Response:
        if not await run_in_threadpool(pause.delete_input, store, run_id, key):
            raise HTTPException(404, f"flow run {run_id} has no input {key!r}")
        return Response(status_code=204)

    return api


__all__ = ["router"]
