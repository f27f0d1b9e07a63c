"""The ASGI application: the routes of docs/reference/http-api.md under ``/api``.

`create_app` migrates the database (refusing one newer than this code) and returns a FastAPI
app wrapped in `Guard` (auth, body limit), with ``GET /metrics`` beside ``/api``
(`cadenza.server.metrics_routes`). Routes are plain functions run in the threadpool
(`run_routes`, `resources`); storage is `cadenza.server.store.Store`; every error answer has the
one shape of `cadenza.server.errors`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from cadenza._version import __version__
from cadenza.blocks.exceptions import BlockDecryptionError
from cadenza.dashboard import serve as dashboard
from cadenza.exceptions import ObjectAlreadyExists
from cadenza.server import (
    API_VERSION,
    admin_routes,
    bulk_routes,
    concurrency_routes,
    control_routes,
    deployment_routes,
    errors,
    event_routes,
    filter_routes,
    live_routes,
    metrics_routes,
    pause_routes,
    resources,
    retention_routes,
    run_routes,
    saved_view_routes,
    service_routes,
    settings_view,
    ui_graph_routes,
    ui_routes,
)
from cadenza.server.automations import AutomationService
from cadenza.server.catalog import Catalog, Conflict
from cadenza.server.guard import Guard
from cadenza.server.leadership import Leadership
from cadenza.server.reaper import Reaper
from cadenza.server.retention import Retention
from cadenza.server.scheduler import Scheduler
from cadenza.server.store import DatabaseBusy, Store
from cadenza.server.times import ApiJSONResponse
from cadenza.settings import spec
from cadenza.store import urls as schema

API_KEY_ENV = "CADENZA_SERVER_API_KEY"


def create_app(database_url: str | None = None, api_key: str | None = None) -> FastAPI:
    """The server app over `database_url` (default: the embedded record file).

    `api_key` defaults to ``$CADENZA_SERVER_API_KEY``; with neither, no auth is required.
    Raises `cadenza.exceptions.StoreError` if the database cannot be opened or migrated, or is
    at a schema revision newer than this code's.
    """
    url = database_url or schema.default_database_url()
    key_source = settings_view.source_of(api_key, API_KEY_ENV)
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
        key_source = spec.ENV if api_key else spec.DEFAULT
    db_source = settings_view.source_of(
        database_url, settings_view.DATABASE_URL_ENV, schema.default_database_url()
    )
    schema.prepare(url)
    store = Store(url)
    closing = threading.Event()  # set when the process is asked to stop: open streams end
    running: dict[str, Any] = {}  # this process's leadership and services, once started

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        live_routes.end_streams_on_exit(closing)
        services = [
            Reaper(store, spec.get("CADENZA_SERVER_REAPER_INTERVAL")),
            Scheduler(store, spec.get("CADENZA_SERVER_SCHEDULER_INTERVAL")),
            Retention(store, spec.get("CADENZA_RETENTION_INTERVAL")),
            AutomationService(store, spec.get("CADENZA_SERVER_AUTOMATIONS_INTERVAL")),
        ]
        leadership = Leadership(
            store, [s.name for s in services], spec.get("CADENZA_SERVER_SERVICE_LEASE")
        ).start()
        running.update(leadership=leadership, services=services)
        for service in services:
            service.led_by(leadership).start()
        try:
            yield
        finally:
            for service in reversed(services):
                service.stop()
            leadership.stop()  # after the rounds ended: another process takes over now
            closing.set()
            store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Cadenza API",
        default_response_class=ApiJSONResponse,  # every time answered as ISO 8601 UTC
        version=str(API_VERSION),
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by cadenza.dashboard.serve, with its assets from the package
        redoc_url=None,
    )
    app.state.store = store
    app.include_router(_router(), prefix="/api")
    app.include_router(ui_routes.router(store), prefix="/api")  # before /flow_runs/{ref}
    app.include_router(bulk_routes.router(store), prefix="/api")
    app.include_router(filter_routes.router(store), prefix="/api")  # before /flow_runs/{ref}
    app.include_router(ui_graph_routes.router(store), prefix="/api")
    app.include_router(saved_view_routes.router(store), prefix="/api")
    app.include_router(live_routes.router(store, closing), prefix="/api")
    app.include_router(run_routes.router(store), prefix="/api")
    app.include_router(resources.router(Catalog(store)), prefix="/api")
    app.include_router(deployment_routes.router(store), prefix="/api")
    app.include_router(concurrency_routes.router(store), prefix="/api")
    app.include_router(event_routes.router(store), prefix="/api")
    app.include_router(control_routes.router(store), prefix="/api")
    app.include_router(pause_routes.router(store), prefix="/api")
    app.include_router(retention_routes.router(store), prefix="/api")
    app.include_router(admin_routes.router(url, db_source, api_key, key_source), prefix="/api")
    app.include_router(service_routes.router(store, running), prefix="/api")
    app.include_router(metrics_routes.router(store))  # GET /metrics, beside /api
    _error_handlers(app)
    metrics_open = spec.get("CADENZA_SERVER_METRICS_OPEN")
    opened = frozenset({metrics_routes.METRICS_PATH} if metrics_open else ())
    app.add_middleware(Guard, api_key=api_key, open_paths=opened)
    # after the routes and outside the guard: `/` is the dashboard, /metrics goes to the API
    dashboard.install(app, api_paths=(metrics_routes.METRICS_PATH,))
    return app


def app_from_environment() -> FastAPI:
    """The app over ``$CADENZA_DATABASE_URL`` (default: the embedded record file): the factory
    each process of ``cadenza server start --workers N`` builds its app with."""
    return create_app(os.environ.get(settings_view.DATABASE_URL_ENV) or None)


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/version")
    def version() -> dict[str, Any]:
        return {"api_version": API_VERSION, "cadenza_version": __version__}

    return router


def _error_handlers(app: FastAPI) -> None:
    errors.install(app)

    @app.exception_handler(ObjectAlreadyExists)
    async def exists(_request: Request, exc: ObjectAlreadyExists) -> JSONResponse:
        return errors.error_response(409, str(exc))

    @app.exception_handler(Conflict)
    async def conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return errors.error_response(409, str(exc))

    @app.exception_handler(BlockDecryptionError)
    async def undecryptable(_request: Request, exc: BlockDecryptionError) -> JSONResponse:
        # The server's own key (lost, or not the one that sealed the secrets): the request
        # cannot be served until the operator restores it, and retrying will not help.
        return errors.error_response(409, str(exc))

    @app.exception_handler(DatabaseBusy)
    async def busy(_request: Request, exc: DatabaseBusy) -> JSONResponse:
        return errors.error_response(
            503, f"The database is busy ({exc}); retry shortly", headers={"Retry-After": "1"}
        )


__all__ = ["API_KEY_ENV", "app_from_environment", "create_app"]
