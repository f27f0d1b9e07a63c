"""Reads by Prefect-shaped filters (``POST /flow_runs/filter``, ``/task_runs/filter``,
``/logs/filter``, ``/artifacts/filter``, ``/artifacts/latest/filter``), as Prefect's API
names them: the body holds each filter's JSON (`cadenza.client.schemas.filters`), ``sort``,
``limit`` and ``offset``, and `cadenza.store.filtered_reads` answers it — the same functions
the embedded client calls, so both read alike. A filter the record cannot apply is a 422
naming where it is (``body.flow_runs.state.type.every_``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool

from cadenza.server.errors import Refused
from cadenza.server.store import Store
from cadenza.store import filtered_reads
from cadenza.store.run_filters import FilterError, named

_RUNS = ("flows", "flow_runs", "task_runs", "deployments", "sort", "limit", "offset")
_PAGE = ("sort", "limit", "offset")


def router(store: Store) -> APIRouter:
    api = APIRouter()

    async def answer(read: Callable[..., Any], body: dict[str, Any], known: tuple[str, ...],
                     *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        unknown = [key for key in body if key not in known]
        if unknown:
            raise Refused([(("body", named(key)), "unknown field") for key in unknown])
        try:
            return await run_in_threadpool(store.read_with, read, *args, **kwargs)
        except FilterError as exc:
            raise Refused([(("body", *exc.loc), exc.message)]) from None

    def filters(body: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in body.items() if key not in _PAGE}

    def page(body: dict[str, Any]) -> dict[str, Any]:
        return {"sort": body.get("sort"), "limit": body.get("limit"),
                "offset": body.get("offset") or 0}  # fmt: skip

    @api.post("/flow_runs/filter")
    async def filter_flow_runs(
        body: dict[str, Any] = Body(default_factory=dict),
    ) -> list[dict[str, Any]]:
        """Flow runs matching ``flows``, ``flow_runs``, ``task_runs`` and ``deployments``."""
        return await answer(filtered_reads.read_flow_runs, body, _RUNS, filters(body), **page(body))

    @api.post("/flow_runs/count")
    async def count_flow_runs(body: dict[str, Any] = Body(default_factory=dict)) -> int:
        """How many flow runs match ``flows``, ``flow_runs``, ``task_runs``, ``deployments``."""
        return int(await answer(filtered_reads.count_flow_runs, body, _RUNS[:4], body))

    @api.post("/task_runs/filter")
    async def filter_task_runs(
        body: dict[str, Any] = Body(default_factory=dict),
    ) -> list[dict[str, Any]]:
        """Task runs matching ``task_runs`` whose flow run matches the other filters."""
        return await answer(filtered_reads.read_task_runs, body, _RUNS, filters(body), **page(body))

    @api.post("/logs/filter")
    async def filter_logs(
        body: dict[str, Any] = Body(default_factory=dict),
    ) -> list[dict[str, Any]]:
        """Log lines matching ``logs`` (a `LogFilter`), oldest first unless ``sort`` says."""
        return await answer(filtered_reads.read_logs, body, ("logs", *_PAGE), body.get("logs"),
                            **page(body))  # fmt: skip

    @api.post("/artifacts/filter")
    async def filter_artifacts(
        body: dict[str, Any] = Body(default_factory=dict),
    ) -> list[dict[str, Any]]:
        """Artifacts matching ``artifacts`` (an `ArtifactFilter`), newest first."""
        return await answer(filtered_reads.read_artifacts, body, ("artifacts", *_PAGE),
                            body.get("artifacts"), **page(body))  # fmt: skip

    @api.post("/artifacts/latest/filter")
    async def filter_latest_artifacts(
        body: dict[str, Any] = Body(default_factory=dict),
    ) -> list[dict[str, Any]]:
        """The newest artifact of each key matching ``artifacts``."""
        return await answer(filtered_reads.read_artifacts, body, ("artifacts", *_PAGE),
                            body.get("artifacts"), **page(body), latest=True)  # fmt: skip

    return api


__all__ = ["router"]
