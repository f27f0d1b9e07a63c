"""A whole flow run read from a server page by page: the record of ``cadenza runs show --json``.

``GET /api/flow_runs/{id}`` is bounded (the run, its own states, its first subflow runs and
counts); its task runs, logs and subflow runs come in pages of at most `PAGE` items, and a page
of long messages may end early. `read_flow_run` reads every page and returns the same object,
key for key, that `cadenza.store.queries.get_flow_run` builds from the embedded record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from cadenza.client.http import ApiClient
from cadenza.store.queries import flow_run_record

PAGE = 10_000
"""Items asked for per page: the server's largest page."""

# The summary's own fields; a run's deployment, pool and expected start are in list items too.
_SUMMARY_ONLY = ("states", "subflow_runs", "result_ref", "counts", "work_queue_name")


def read_flow_run(client: ApiClient, ref: str, page: int | None = None) -> dict[str, Any]:
    """The flow run `ref` (an id, a unique prefix or ``latest``) in full, asking for `page`
    (default `PAGE`) items at a time. What the summary counted is read; records added while
    reading (a live run) may be left for the next read."""
    page = page or PAGE
    summary = client.get_flow_run(ref)
    run_id, counts = summary["id"], summary["counts"]
    task_runs = _every(
        lambda offset: client.get_task_runs_page(run_id, page, offset), counts["task_runs"]
    )
    subflow_runs = summary["subflow_runs"]
    if len(subflow_runs) < counts["subflow_runs"]:
        subflow_runs = _every(
            lambda offset: client.get_subflow_runs_page(run_id, page, offset),
            counts["subflow_runs"],
        )
    logs: list[dict[str, Any]] = []
    for lines in log_pages(client, run_id, page) if counts["logs"] else ():
        logs += lines
        if len(logs) >= counts["logs"]:
            break
    run = {key: value for key, value in summary.items() if key not in _SUMMARY_ONLY}
    return flow_run_record(
        run,
        states=summary["states"],
        task_runs=task_runs,
        subflow_runs=subflow_runs,
        logs=logs,
        result_ref=summary["result_ref"],
    )


def log_pages(
    client: ApiClient, run_id: str, page: int | None = None, after: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Pages of the log lines of flow run `run_id` (a full id) after log id `after`, until the
    server has no more."""
    page = page or PAGE
    while True:
        lines = client.get_logs(run_id, limit=page, after=after)
        if not lines:
            return
        yield lines
        after = lines[-1]["id"]


def _every(fetch: Callable[[int], list[dict[str, Any]]], expected: int) -> list[dict[str, Any]]:
    """Pages from offset 0 on, until `expected` items or an empty page."""
    items: list[dict[str, Any]] = []
    while len(items) < expected:
        chunk = fetch(len(items))
        if not chunk:
            break
        items += chunk
    return items


__all__ = ["PAGE", "log_pages", "read_flow_run"]
