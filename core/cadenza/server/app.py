"""The ASGI application: the routes of docs/reference/http-api.md under ``/api``.

`create_app` migrates the database (refusing one newer than this code) and returns a FastAPI
app wrapped in `Guard` (auth, body limit). Routes are plain functions run in the threadpool;
storage is `cadenza.server.store.Store`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cadenza.server import API_VERSION, resources, schema
from cadenza.server.catalog import Catalog, Conflict
from cadenza.server.guard import Guard
from cadenza.server.models import BatchIn, BatchOut, DecisionOut, FlowRunIn, SetStateIn
from cadenza.server.store import DatabaseBusy, Store

API_KEY_ENV = "CADENZA_SERVER_API_KEY"
MAX_PAGE = 10_000
PageLimit = Query(200, ge=1, le=MAX_PAGE, description=f"at most {MAX_PAGE}")
PageOffset = Query(0, ge=0, le=2**31 - 1)


def create_app(database_url: str | None = None, api_key: str | None = None) -> FastAPI:
    """The server app over `database_url` (default: the embedded record file).

    `api_key` defaults to ``$CADENZA_SERVER_API_KEY``; with neither, no auth is required.
    Raises `cadenza.exceptions.StoreError` if the database cannot be opened or migrated, or is
    at a schema revision newer than this code's.
    """
    url = database_url or schema.default_database_url()
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
    schema.prepare(url)
    store = Store(url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Cadenza API",
        version=str(API_VERSION),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.store = store
    app.include_router(_router(store), prefix="/api")
    app.include_router(resources.router(Catalog(store)), prefix="/api")
    _error_handlers(app)
    app.add_middleware(Guard, api_key=api_key)
    return app


def _router(store: Store) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/version")
    def version() -> dict[str, Any]:
        from cadenza import __version__

        return {"api_version": API_VERSION, "cadenza_version": __version__}

    @router.post("/flow_runs", status_code=201)
    def create_flow_run(body: FlowRunIn, response: Response) -> dict[str, str]:
        if not store.create_flow_run(body.row()):
            response.status_code = 200
        return {"id": body.id}

    @router.post("/flow_runs/{run_id}/set_state")
    def set_flow_run_state(run_id: str, body: SetStateIn) -> DecisionOut:
        decision = store.set_state("flow", run_id, body.transition_id, body.run_count, body.state)
        return DecisionOut(
            decision=decision.kind.value, reason=decision.reason, delay=decision.delay
        )

    @router.post("/batch")
    def batch(body: BatchIn) -> BatchOut:
        result = store.apply_batch(
            [t.row() for t in body.task_runs],
            body.transitions,
            [log.model_dump() for log in body.logs],
            [a.row() for a in body.artifacts],
            [c.model_dump() for c in body.cache_entries],
            [u.model_dump() for u in body.artifact_updates],
        )
        return BatchOut(**result)

    @router.get("/flow_runs")
    def list_flow_runs(
        limit: int = Query(20, ge=1, le=10_000),
        offset: int = Query(0, ge=0, le=2**31 - 1),
        state: str | None = Query(None, description="a state type, e.g. COMPLETED"),
        flow_name: str | None = None,
        tag: str | None = None,
        since: str | None = Query(None, description="epoch seconds or ISO 8601: created >="),
        until: str | None = Query(None, description="epoch seconds or ISO 8601: created <"),
    ) -> list[dict[str, Any]]:
        return store.list_flow_runs(
            limit=limit,
            offset=offset,
            state=state,
            flow_name=flow_name,
            tag=tag,
            since=_epoch("since", since),
            until=_epoch("until", until),
        )

    @router.get("/flow_runs/{ref}")
    def get_flow_run(ref: str) -> dict[str, Any]:
        """The run, its own states, first subflow runs and counts: bounded whatever its size."""
        return store.flow_run_summary(ref)

    @router.get("/flow_runs/{ref}/task_runs")
    def flow_run_task_runs(
        ref: str, limit: int = PageLimit, offset: int = PageOffset
    ) -> list[dict[str, Any]]:
        return store.task_runs_page(ref, limit, offset)

    @router.get("/flow_runs/{ref}/subflow_runs")
    def flow_run_subflow_runs(
        ref: str, limit: int = PageLimit, offset: int = PageOffset
    ) -> list[dict[str, Any]]:
        return store.subflow_runs_page(ref, limit, offset)

    @router.get("/flows")
    def list_flows() -> list[dict[str, Any]]:
        return store.list_flows()

    @router.get("/task_runs")
    def list_task_runs(
        limit: int = Query(100, ge=1, le=10_000),
        offset: int = Query(0, ge=0, le=2**31 - 1),
        flow_run_id: str | None = None,
        task_name: str | None = None,
        state: str | None = Query(None, description="a state type, e.g. FAILED"),
    ) -> list[dict[str, Any]]:
        return store.list_task_runs(
            limit=limit, offset=offset, flow_run_id=flow_run_id, task_name=task_name, state=state
        )

    @router.get("/task_runs/{task_run_id}")
    def get_task_run(task_run_id: str) -> dict[str, Any]:
        return store.get_task_run(task_run_id)

    @router.get("/flow_runs/{ref}/logs")
    def get_logs(
        ref: str,
        limit: int = PageLimit,
        offset: int = PageOffset,
        after: int | None = Query(
            None, ge=0, le=2**63 - 1, description="only log lines with an id above this one"
        ),
    ) -> list[dict[str, Any]]:
        return store.logs_page(ref, limit, offset, after)

    return router


def _epoch(name: str, value: str | None) -> float | None:
    """Epoch seconds from a number or an ISO 8601 time (naive means UTC); ValueError else."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{name} must be epoch seconds or an ISO 8601 time, got {value[:40]!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def validation_message(exc: RequestValidationError) -> str:
    """One line per problem: where (``body.state.type``) and what; never the value sent."""
    lines = []
    for error in exc.errors()[:20]:
        where = ".".join(str(part) for part in error.get("loc", ())) or "request"
        lines.append(f"{where}: {error.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(lines)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    @app.exception_handler(ValueError)
    async def bad_value(_request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(LookupError)
    async def not_found(_request: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse({"detail": str(exc.args[0] if exc.args else exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(DatabaseBusy)
    async def busy(_request: Request, exc: DatabaseBusy) -> JSONResponse:
        return JSONResponse(
            {"detail": f"The database is busy ({exc}); retry shortly"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
