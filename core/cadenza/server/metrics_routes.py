"""``GET /metrics``: the server's metrics in Prometheus' text format (docs/howto/metrics.md).

Each app has its own registry holding this process's instruments (`cadenza.server.metrics`)
and a `RecordCollector` over its database (`cadenza.server.metrics_record`). The route sits
beside ``/api``, not under it, where Prometheus looks by default; it is behind the API key like
every route (`cadenza.server.guard`) unless ``CADENZA_SERVER_METRICS_OPEN`` opens it. It answers
OpenMetrics when the scraper asks for it (``Accept``), Prometheus' text format otherwise.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from cadenza.server import metrics
from cadenza.server.metrics_record import RecordCollector
from cadenza.store.sql import SqlDatabase

METRICS_PATH = "/metrics"


def registry_for(db: SqlDatabase) -> CollectorRegistry:
    """A registry of this process's instruments and of the record of `db`."""
    registry = CollectorRegistry()
    for instrument in metrics.INSTRUMENTS:
        registry.register(instrument)
    registry.register(RecordCollector(db))
    return registry


def router(db: SqlDatabase) -> APIRouter:
    api = APIRouter()
    registry = registry_for(db)

    @api.get(METRICS_PATH, include_in_schema=False)  # not an /api route: Prometheus' format
    def scrape(request: Request) -> Response:
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(registry), media_type=content_type)

    return api


__all__ = ["METRICS_PATH", "registry_for", "router"]
