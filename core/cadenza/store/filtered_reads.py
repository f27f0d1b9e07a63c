"""Reads of runs, logs and artifacts by Prefect-shaped filters (`cadenza.store.run_filters`),
answered as plain dicts with Prefect's field names.

What ``read_flow_runs``, ``read_task_runs``, ``read_logs`` and ``read_artifacts`` of the client
of `cadenza.client.orchestration` return, whether it reads the embedded record (a
`sqlite3.Connection`) or a server, which runs these same functions over its database (any
connection whose ``execute`` takes ``?`` placeholders, see `cadenza.server.reads`). Times are
epoch seconds; ``state`` is the run's newest state with its timestamp and details.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cadenza.store import run_filters as rf
from cadenza.store.run_filters import FilterError

DEFAULT_LIMIT = 200
"""Rows answered when no limit is given (as Prefect's server, ``PREFECT_API_DEFAULT_LIMIT``)."""
MAX_LIMIT = 10_000
_CHUNK = 500

FLOW_RUN_COLUMNS = (
    "id, name, flow_name, flow_version, parent_flow_run_id, parent_task_run_id, parameters, "
    "tags, state_type, state_name, state_message, created, start_time, end_time, run_count, "
    "deployment_id, work_pool_name, work_queue_name, expected_start_time, idempotency_key, "
    "auto_scheduled, job_variables"
)
TASK_RUN_COLUMNS = (
    "id, name, flow_run_id, task_name, task_key, cache_key, tags, state_type, state_name, "
    "state_message, created, start_time, end_time, run_count"
)


def _page(limit: Any, offset: Any) -> tuple[int, int]:
    limit = DEFAULT_LIMIT if limit is None else limit
    for name, value, low in (("limit", limit, 0), ("offset", offset, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise FilterError([name], f"must be an integer of at least {low}")
    if limit > MAX_LIMIT:
        raise FilterError(["limit"], f"must be at most {MAX_LIMIT}")
    return limit, offset


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def flow_names(conn: Any) -> list[str]:
    """Every flow name the record holds runs of (what a flow id is looked up among)."""
    return [row[0] for row in conn.execute("SELECT DISTINCT flow_name FROM flow_runs")]


def _newest_states(conn: Any, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The newest recorded state of each of `run_ids`: type, name, message, time, details."""
    newest: dict[str, dict[str, Any]] = {}
    for start in range(0, len(run_ids), _CHUNK):
        chunk = run_ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        sql = ("SELECT run_id, type, name, message, timestamp, details FROM run_states "
               f"WHERE run_id IN ({marks}) ORDER BY id")  # fmt: skip
        for run_id, type_, name, message, ts, details in conn.execute(sql, chunk):
            newest[run_id] = {"type": type_, "name": name, "message": message,
                              "timestamp": ts, "details": _json(details, {})}  # fmt: skip
    return newest


def _state(row: Mapping[str, Any], newest: dict[str, Any] | None) -> dict[str, Any] | None:
    """The run's state: its newest transition, or its columns when none is recorded."""
    if row["state_type"] is None:
        return None
    if newest is not None and (newest["type"], newest["name"]) == (
        row["state_type"],
        row["state_name"],
    ):
        return newest
    return {
        "type": row["state_type"],
        "name": row["state_name"],
        "message": row["state_message"],
        "timestamp": row["created"],
        "details": {},
    }


def _run_times(item: dict[str, Any]) -> None:
    start, end = item["start_time"], item["end_time"]
    item["total_run_time"] = max(end - start, 0.0) if start is not None and end is not None else 0.0
    state = item["state"]
    item["updated"] = state["timestamp"] if state else item["created"]


def read_flow_runs(
    conn: Any, body: Mapping[str, Any], sort: Any = None, limit: Any = None, offset: Any = 0
) -> list[dict[str, Any]]:
    """The flow runs matching every filter of `body` (see `run_filters.flow_run_where`), in
    `sort`'s order (a `FlowRunSort` name; default ``ID_DESC``: newest first)."""
    limit, offset = _page(limit, offset)
    where, args = rf.flow_run_where(body, lambda: flow_names(conn))
    order = rf.order_by(rf.FLOW_RUN_SORTS, sort, "ID_DESC", "sort")
    sql = f"SELECT {FLOW_RUN_COLUMNS} FROM flow_runs{where} ORDER BY {order} LIMIT ? OFFSET ?"
    names = [c.strip() for c in FLOW_RUN_COLUMNS.split(",")]
    rows = [dict(zip(names, row, strict=True)) for row in conn.execute(sql, [*args, limit, offset])]
    newest = _newest_states(conn, [r["id"] for r in rows])
    out = []
    for row in rows:
        item = {**row, "flow_id": rf.flow_id(row["flow_name"]),
                "parameters": _json(row["parameters"], {}), "tags": _json(row["tags"], []),
                "job_variables": _json(row["job_variables"], {}),
                "auto_scheduled": bool(row["auto_scheduled"]),
                "state": _state(row, newest.get(row["id"]))}  # fmt: skip
        scheduled = item["state"] and item["state"]["type"] == "SCHEDULED"
        item["next_scheduled_start_time"] = row["expected_start_time"] if scheduled else None
        _run_times(item)
        out.append(item)
    return out


def count_flow_runs(conn: Any, body: Mapping[str, Any]) -> int:
    """How many flow runs match every filter of `body` (as `read_flow_runs`)."""
    where, args = rf.flow_run_where(body, lambda: flow_names(conn))
    return int(next(iter(conn.execute(f"SELECT count(*) FROM flow_runs{where}", args)))[0])


def read_task_runs(
    conn: Any, body: Mapping[str, Any], sort: Any = None, limit: Any = None, offset: Any = 0
) -> list[dict[str, Any]]:
    """The task runs matching `body` (see `run_filters.task_run_where`), in `sort`'s order (a
    `TaskRunSort` name; default ``EXPECTED_START_TIME_DESC``: newest first)."""
    limit, offset = _page(limit, offset)
    where, args = rf.task_run_where(body, lambda: flow_names(conn))
    order = rf.order_by(rf.TASK_RUN_SORTS, sort, "EXPECTED_START_TIME_DESC", "sort")
    sql = f"SELECT {TASK_RUN_COLUMNS} FROM task_runs{where} ORDER BY {order} LIMIT ? OFFSET ?"
    names = [c.strip() for c in TASK_RUN_COLUMNS.split(",")]
    rows = [dict(zip(names, row, strict=True)) for row in conn.execute(sql, [*args, limit, offset])]
    newest = _newest_states(conn, [r["id"] for r in rows])
    out = []
    for row in rows:
        item = {**row, "tags": _json(row["tags"], []), "expected_start_time": row["created"],
                "state": _state(row, newest.get(row["id"]))}  # fmt: skip
        _run_times(item)
        out.append(item)
    return out


def read_logs(
    conn: Any, log_filter: Any, sort: Any = None, limit: Any = None, offset: Any = 0
) -> list[dict[str, Any]]:
    """The log lines matching `log_filter` (a `LogFilter`'s JSON), oldest first by default."""
    limit, offset = _page(limit, offset)
    where, args = rf.single_where(rf.LOG, log_filter, "logs")
    order = rf.order_by(rf.LOG_SORTS, sort, "TIMESTAMP_ASC", "sort")
    sql = ("SELECT id, logger, level, message, timestamp, flow_run_id, task_run_id FROM logs"
           f"{where} ORDER BY {order} LIMIT ? OFFSET ?")  # fmt: skip
    keys = ("id", "name", "level", "message", "timestamp", "flow_run_id", "task_run_id")
    return [dict(zip(keys, row, strict=True)) for row in conn.execute(sql, [*args, limit, offset])]


def read_artifacts(
    conn: Any, artifact_filter: Any, sort: Any = None, limit: Any = None, offset: Any = 0,
    *, latest: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """The artifacts matching `artifact_filter` (an `ArtifactFilter`'s JSON), newest first by
    default; with `latest`, only the newest of each key (keyless artifacts are left out)."""
    limit, offset = _page(limit, offset)
    where, args = rf.single_where(rf.ARTIFACT, artifact_filter, "artifacts")
    order = rf.order_by(rf.ARTIFACT_SORTS, sort, "CREATED_DESC", "sort")
    if latest:
        newest = ('"key" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM artifacts AS n WHERE '
                  'n."key" = artifacts."key" AND (n.created > artifacts.created OR '
                  "(n.created = artifacts.created AND n.id > artifacts.id)))")  # fmt: skip
        where = f"{where} AND {newest}" if where else f" WHERE {newest}"
    sql = ('SELECT id, "key", type, description, data, flow_run_id, task_run_id, created '
           f"FROM artifacts{where} ORDER BY {order} LIMIT ? OFFSET ?")  # fmt: skip
    keys = ("id", "key", "type", "description", "data", "flow_run_id", "task_run_id", "created")
    out = []
    for row in conn.execute(sql, [*args, limit, offset]):
        item = dict(zip(keys, row, strict=True))
        item["data"] = _json(item["data"], None)
        item["updated"] = item["created"]
        out.append(item)
    return out


__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "count_flow_runs",
    "flow_names",
    "read_artifacts",
    "read_flow_runs",
    "read_logs",
    "read_task_runs",
]
