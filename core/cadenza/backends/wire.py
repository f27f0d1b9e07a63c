"""The HTTP backend's wire format: request bodies, and journal entries made from the rows a
`Recorder` queued (docs/reference/http-api.md).

An *entry* is one request as the journal keeps it: ``{"op": "flow_run" | "batch" |
"set_state", ...}``. `entries` turns one drain of the queues into entries in the order the
server must see them: flow runs it does not know yet, then batches (task runs before the
transitions naming them, each body bounded by `MAX_BATCH_BYTES`), then flow-run transitions
that a capture backend recorded elsewhere.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cadenza.backends.recording import _details_json

if TYPE_CHECKING:
    from cadenza.runs import FlowRun, TaskRun

#: Rough bound on one /api/batch body; more queued rows go in several requests.
MAX_BATCH_BYTES = 2 * 1024 * 1024

_CACHE_FIELDS = ("key", "result_ref", "task_key", "task_run_id", "created", "expiration")


def entries(
    runs: list,
    states: list[tuple],
    logs: list[tuple],
    cache: list[tuple],
    queued: list[dict],
    created: set[str],
    extra: dict[tuple[str, float, str], tuple[int, str | None]],
) -> list[dict]:
    """Journal entries for drained queues. ``created`` (flow runs the server knows) is updated;
    ``extra`` holds the run count and result reference of each accepted task-run transition
    (keyed by run id, timestamp and state type), which the rows do not carry; used ones are
    removed."""
    cache_rows = [dict(zip(_CACHE_FIELDS, row, strict=True)) for row in cache]
    artifacts = [a for a in queued if "update" not in a]
    updates = [
        {"id": a["id"], "data": a["data"], "description": a["description"]}
        for a in queued
        if "update" in a
    ]
    if not (runs or states or logs or cache_rows or queued):
        return []
    out: list[dict] = []
    task_rows = []
    for run in runs:
        if run.kind == "flow":
            if run.id not in created:
                created.add(run.id)
                out.append({"op": "flow_run", "body": flow_run_body(run)})
        else:
            task_rows.append(task_run_body(run))
    transitions = []
    flow_transitions = []
    for tid, run_id, flow_run_id, type_, name, message, ts, details_text in states:
        run_count, ref = extra.pop((run_id, ts, type_), (None, None))
        st = state_body(type_, name, message, ts, _loads(details_text), ref)
        if run_id == flow_run_id:  # a flow run's transition recorded by a capture backend
            body = {"transition_id": tid, "run_count": run_count, "state": st}
            flow_transitions.append({"op": "set_state", "run_id": run_id, "body": body})
        else:
            transitions.append(
                {
                    "run_id": run_id,
                    "flow_run_id": flow_run_id,
                    "transition_id": tid,
                    "run_count": run_count,
                    "state": st,
                }
            )
    if task_rows or transitions or logs or cache_rows or queued:
        log_rows = [
            {
                "flow_run_id": f,
                "task_run_id": t,
                "level": level,
                "logger": name,
                "message": message,
                "timestamp": ts,
            }
            for f, t, level, name, message, ts in logs
        ]
        out.extend(
            batches(
                {
                    "task_runs": task_rows,
                    "transitions": transitions,
                    "logs": log_rows,
                    "artifacts": artifacts,
                    "artifact_updates": updates,
                    "cache_entries": cache_rows,
                }
            )
        )
    out.extend(flow_transitions)
    return out


def state_body(
    type_: str,
    name: str,
    message: str | None,
    ts: float,
    details: Any,
    result_ref: str | None,
) -> dict[str, Any]:
    return {
        "type": type_,
        "name": name,
        "message": message,
        "timestamp": ts,
        "details": details,
        "result_ref": result_ref,
    }


def flow_run_body(run: FlowRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "name": run.name,
        "flow_name": run.flow_name,
        "flow_version": run.flow_version,
        "parent_flow_run_id": run.parent_flow_run_id,
        "parent_task_run_id": run.parent_task_run_id,
        "parameters": _jsonable(run.parameters),
        "tags": list(run.tags),
        "created": run.created,
        "retries": run.retries,
        "entrypoint": run.entrypoint,
        "resumed_from": run.resumed_from,
    }


def task_run_body(run: TaskRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "flow_run_id": run.flow_run_id,
        "name": run.name,
        "task_name": run.task_name,
        "task_key": run.task_key,
        "tags": list(run.tags) if run.tags else [],
        "created": run.created,
        "retries": run.retries,
        "run_count": run.run_count,
        "cache_key": run.cache_key,
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def _row_size(kind: str, row: dict) -> int:
    if kind == "logs":
        return 200 + len(row["message"])
    if kind == "artifacts":
        data = row["data"]
        return 300 + (len(data) if isinstance(data, str) else len(json.dumps(data, default=repr)))
    return 200


def batches(rows: dict[str, list]) -> list[dict]:
    """One batch entry, or several in order when the rows would make a body larger than about
    `MAX_BATCH_BYTES` (the server refuses bodies over 8 MiB): task-run rows come before the
    transitions that name them, as in the queue."""
    sizes = {kind: [_row_size(kind, row) for row in kind_rows] for kind, kind_rows in rows.items()}
    if sum(map(sum, sizes.values())) <= MAX_BATCH_BYTES:
        return [{"op": "batch", "body": rows}]
    out: list[dict] = []
    current: dict[str, list] = {kind: [] for kind in rows}
    size = 0
    for kind, kind_rows in rows.items():
        for row, row_size in zip(kind_rows, sizes[kind], strict=True):
            if size + row_size > MAX_BATCH_BYTES and size:
                out.append({"op": "batch", "body": current})
                current = {kind: [] for kind in rows}
                size = 0
            current[kind].append(row)
            size += row_size
    if size:
        out.append({"op": "batch", "body": current})
    return out


def details(state_details: Any) -> dict | None:
    """What a transition's body carries of its state's details (as a state row keeps them)."""
    if state_details is None:
        return None
    return _loads(_details_json(state_details))


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    return json.loads(text)
