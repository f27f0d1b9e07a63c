"""Routes of the run record (docs/reference/http-api.md): flow runs, their transitions, batches of
task runs, transitions and logs, and the bounded reads of all of these, over `Store`.

No answer grows with the size of a run: ``GET /flow_runs/{ref}`` gives the run, its own states,
its first subflow runs and counts; its task runs, logs and subflow runs come in pages (`Limit`
items at most, and a page of long messages ends early: read on until an empty page).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from cadenza.server import leases, metrics
from cadenza.server.errors import NOT_FOUND, Refused
from cadenza.server.models import (
    MAX_LEASE,
    BatchIn,
    BatchOut,
    DecisionOut,
    FlowRunIn,
    ForcibleSetStateIn,
    HeartbeatIn,
    HeartbeatOut,
    Id,
)
from cadenza.server.query_params import MAX_QUERY_TEXT, SearchText, text
from cadenza.server.store import Store
from cadenza.store import ui_graph_queries
from cadenza.store.queries import VALID_STATE_TYPES

MAX_PAGE = 10_000
"""The largest `limit` of a page."""
DEFAULT_PAGE = 200

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most {MAX_PAGE}")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
EXISTED: dict[int | str, dict[str, Any]] = {
    200: {"model": dict[str, str], "description": "The flow run was recorded already"}
}
RunRef = Annotated[str, Path(description="a flow run id, a unique prefix of one, or `latest`")]
Replayed = Annotated[
    bool,
    Query(description="the client sends this request again from its journal (counted by "
                      "/metrics as cadenza_journal_replayed_requests_total)"),
]  # fmt: skip


def router(store: Store) -> APIRouter:
    api = APIRouter()

    # -- writes ---------------------------------------------------------------------------------
    @api.post("/flow_runs", status_code=201, responses=EXISTED)
    def create_flow_run(
        body: FlowRunIn, response: Response, replayed: Replayed = False
    ) -> dict[str, str]:
        if replayed:
            metrics.replayed("flow_run")
        if not store.create_flow_run(body.row()):
            response.status_code = 200
        return {"id": body.id}

    @api.post("/flow_runs/{run_id}/set_state")
    def set_flow_run_state(
        run_id: Annotated[Id, Path()], body: ForcibleSetStateIn, replayed: Replayed = False
    ) -> DecisionOut:
        if replayed:
            metrics.replayed("set_state")
        return _set_state("flow", run_id, body)

    @api.post("/task_runs/{run_id}/set_state")
    def set_task_run_state(run_id: Annotated[Id, Path()], body: ForcibleSetStateIn) -> DecisionOut:
        """Propose a task run's state from outside the process running it (Prefect's
        ``set_task_run_state``); the engine records its own task runs in batches."""
        return _set_state("task", run_id, body)

    def _set_state(kind: str, run_id: str, body: ForcibleSetStateIn) -> DecisionOut:
        decision = store.set_state(
            kind, run_id, body.transition_id, body.run_count, body.state, force=body.force
        )
        metrics.state_proposed(decision)
        return DecisionOut(
            decision=decision.kind.value, reason=decision.reason, delay=decision.delay
        )

    @api.post("/batch")
    async def batch(
        body: BatchIn,
        lease_seconds: Annotated[
            float | None,
            Query(gt=0, le=MAX_LEASE, description="renew the leases of the batch's flow runs"),
        ] = None,
        replayed: Replayed = False,
    ) -> BatchOut:
        """Record a batch of task runs, transitions, logs, artifacts, cache entries and events
        (`cadenza.events.emit_event`'s; an event id seen before is kept once). A batch
        sent live by the process running its flow runs (`lease_seconds` given) is as good as a
        heartbeat for them, noted as it arrives (`cadenza.server.sightings`): under load a batch
        and a heartbeat may wait for the database longer than the lease they renew."""
        if replayed:
            metrics.replayed("batch")
        live: list[str] = []
        if lease_seconds is not None:
            records = (*body.task_runs, *body.transitions, *body.logs)
            live = sorted({r.flow_run_id for r in records if r.flow_run_id is not None})
            store.sightings.saw(live, lease_seconds)

        def apply() -> dict[str, Any]:  # in a worker thread: the event loop keeps noting
            started = time.perf_counter()
            result = store.apply_batch(
                [t.row() for t in body.task_runs],
                body.transitions,
                [log.row() for log in body.logs],
                [a.row() for a in body.artifacts],
                [c.model_dump() for c in body.cache_entries],
                [u.model_dump() for u in body.artifact_updates],
                [e.record() for e in body.events],
            )
            metrics.batch_applied(_records(body), time.perf_counter() - started, result)
            if live and lease_seconds is not None:
                leases.renew(store, live, lease_seconds)
            return result

        return BatchOut(**await run_in_threadpool(apply))

    @api.post("/heartbeats")
    async def heartbeats(body: HeartbeatIn) -> HeartbeatOut:
        """Renew the leases of a process's active flow runs (see docs/concepts/durability.md);
        the sighting counts from the moment it arrives."""
        store.sightings.saw(body.flow_run_ids, body.lease_seconds)
        answer = await run_in_threadpool(leases.renew, store, body.flow_run_ids, body.lease_seconds)
        return HeartbeatOut(**answer)

    @api.get("/flow_runs", responses=NOT_FOUND)  # a deployment filter naming none
    def list_flow_runs(
        limit: int = Query(20, ge=1, le=MAX_PAGE),
        offset: Offset = 0,
        state: str | None = Query(None, description="a state type, e.g. COMPLETED"),
        flow_name: str | None = None,
        tag: str | None = None,
        since: str | None = Query(None, description="epoch seconds or ISO 8601: created >="),
        until: str | None = Query(None, description="epoch seconds or ISO 8601: created <"),
        deployment: str | None = Query(
            None, description="a deployment's id or flow/name: the runs it made"
        ),
    ) -> list[dict[str, Any]]:
        return store.list_flow_runs(
            limit=limit,
            offset=offset,
            state=state_type(state),
            flow_name=flow_name,
            tag=tag,
            since=epoch("since", since),
            until=epoch("until", until),
            deployment=deployment,
        )

    @api.get("/flow_runs/{ref}", responses=NOT_FOUND)
    def get_flow_run(ref: RunRef) -> dict[str, Any]:
        return store.flow_run_summary(ref)

    @api.get("/flow_runs/{ref}/task_runs", responses=NOT_FOUND)
    def flow_run_task_runs(
        ref: RunRef, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[dict[str, Any]]:
        return store.task_runs_page(ref, limit, offset)

    @api.get("/flow_runs/{ref}/logs", responses=NOT_FOUND)
    def flow_run_logs(
        ref: RunRef,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        after: int | None = Query(
            None, ge=0, le=2**63 - 1, description="only log lines with an id above this one"
        ),
        before: int | None = Query(
            None, ge=0, le=2**63 - 1, description="only the log lines just before this id"
        ),
        level: int | None = Query(None, ge=0, le=2**31 - 1, description="minimum level"),
        q: SearchText = None,
        task_run_id: str | None = Query(None, max_length=MAX_QUERY_TEXT),
    ) -> list[dict[str, Any]]:
        return store.logs_page(
            ref, limit, offset, after, before=before, level=level, q=text("q", q),
            task_run_id=text("task_run_id", task_run_id),
        )  # fmt: skip

    @api.get("/flow_runs/{ref}/subflow_runs", responses=NOT_FOUND)
    def flow_run_subflow_runs(
        ref: RunRef, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[dict[str, Any]]:
        return store.subflow_runs_page(ref, limit, offset)

    @api.get("/flows")
    def list_flows() -> list[dict[str, Any]]:
        return store.list_flows()

    @api.get("/task_runs")
    def list_task_runs(
        limit: int = Query(100, ge=1, le=MAX_PAGE),
        offset: Offset = 0,
        flow_run_id: str | None = None,
        task_name: str | None = None,
        state: str | None = Query(None, description="a state type, e.g. FAILED"),
    ) -> list[dict[str, Any]]:
        return store.list_task_runs(
            limit=limit,
            offset=offset,
            flow_run_id=flow_run_id,
            task_name=task_name,
            state=state_type(state),
        )

    @api.get("/task_runs/{task_run_id}", responses=NOT_FOUND)
    def get_task_run(task_run_id: str) -> dict[str, Any]:
        """The task run, its states with their details, its cache key and whether it was a
        cache hit, where its result is (never the value), and the runs it came from and fed."""
        run = store.get_task_run(task_run_id)
        with store.read() as conn:
            run.update(ui_graph_queries.task_run_extras(conn, task_run_id))
        return run

    return api


def _records(body: BatchIn) -> int:
    return sum(len(getattr(body, name)) for name in BatchIn.model_fields)


def state_type(value: str | None) -> str | None:
    """The state type a ``state`` filter names (any case); `Refused` if it names none."""
    if value is None:
        return None
    normal = value.strip().upper()
    if normal not in VALID_STATE_TYPES:
        expected = " ".join(VALID_STATE_TYPES)
        raise Refused([(("query", "state"), f"Unknown state type; expected one of: {expected}")])
    return normal


def epoch(name: str, value: str | None) -> float | None:
    """Epoch seconds from a number or an ISO 8601 time (naive means UTC); `Refused` else."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused([(("query", name), "must be epoch seconds or an ISO 8601 time")]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "epoch", "router", "state_type"]
