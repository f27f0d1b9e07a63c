"""The dashboard's routes of a run's structure (docs/reference/http-api.md), over
`cadenza.store.ui_graph_queries`: ``GET /flow_runs/{ref}/graph``, the run graph of a flow run's
task runs. (``GET /task_runs/{id}`` adds the detail view's fields in `run_routes`.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from cadenza.server.errors import NOT_FOUND
from cadenza.server.run_routes import RunRef
from cadenza.server.store import Store
from cadenza.server.ui_routes import resolve_run
from cadenza.store import ui_graph_queries
from cadenza.store.ui_graph_queries import MAX_GRAPH

DEFAULT_GRAPH = 5_000


def router(store: Store) -> APIRouter:
    api = APIRouter()

    @api.get("/flow_runs/{ref}/graph", responses=NOT_FOUND)
    def flow_run_graph(
        ref: RunRef,
        limit: Annotated[
            int, Query(ge=1, le=MAX_GRAPH, description="task runs at most, the first created")
        ] = DEFAULT_GRAPH,
    ) -> dict[str, Any]:
        """The run's task runs (nodes, as columns, by creation) and which fed which (edges:
        ``source`` fed ``target`` through its parameter ``input``, or ``wait_for``), each node
        with its ``depth`` in the graph. ``truncated`` when the run has more than `limit`."""
        with store.read() as conn:
            return ui_graph_queries.run_graph(conn, resolve_run(conn, ref), limit)

    return api


__all__ = ["DEFAULT_GRAPH", "router"]
