"""The HTTP backend's wire format: requests made from the rows a `Recorder` queued
(docs/reference/http-api.md).

A `Request` is one call to the server: ``flow_run`` (create a flow run), ``set_state`` (a flow
run's transition) or ``batch`` (task runs, their transitions, logs, artifacts, cache entries,
events).
Its body is encoded to JSON once, when it is made, and its `entry` is what the journal keeps.

`requests` turns one drain of the queues into requests in the order the server must see them:
flow runs it does not know yet, then batches — task runs before the transitions naming them,
each body at most `MAX_BATCH_BYTES` as encoded (a record larger than that travels alone) — then
flow-run transitions that a capture backend recorded elsewhere. A batch can be cut into smaller
ones (`split`, `batch_of`) when the server refuses it as too large or refuses some of its records.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cadenza.store.owners import PROCESS

if TYPE_CHECKING:
    from cadenza.runs import FlowRun, TaskRun

#: Bound on one /api/batch body as encoded: half the server's 8 MiB limit, so headers and a
#: record near the bound never reach it.
MAX_BATCH_BYTES = 4 * 1024 * 1024

#: The lists of a batch body, in the order the server applies them.
BATCH_LISTS = ("task_runs", "transitions", "logs", "artifacts", "artifact_updates",
               "cache_entries", "events")  # fmt: skip

_CACHE_FIELDS = ("key", "result_ref", "task_key", "task_run_id", "created", "expiration")
_LOG_FIELDS = ("flow_run_id", "task_run_id", "level", "logger", "message", "timestamp", "id")

Record = tuple  # (list name, row dict, encoded row)


def encode(value: Any) -> bytes:
    """JSON as UTF-8; text that UTF-8 cannot carry (a lone surrogate) goes as a ``\\u``
    escape, which the server makes storable."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr).encode()
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"), default=repr).encode()


class Request:
    """One request: ``op``, the run it names (``set_state``), its body, and the body encoded."""

    __slots__ = ("body", "data", "op", "records", "run_id")

    def __init__(
        self,
        op: str,
        body: dict[str, Any],
        run_id: str | None = None,
        data: bytes | None = None,
        records: list[Record] | None = None,
    ) -> None:
        self.op = op
        self.body = body
        self.run_id = run_id
        self.data = encode(body) if data is None else data
        self.records = records  # a batch's rows with their encodings, when made from rows

    @property
    def entry(self) -> dict[str, Any]:
        """The journal's form: ``{"op", "run_id"?, "body"}``."""
        entry: dict[str, Any] = {"op": self.op, "body": self.body}
        if self.run_id is not None:
            entry["run_id"] = self.run_id
        return entry

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> Request:
        """A journal line back into a request; `ValueError` for a line that is not one."""
        if not isinstance(entry, dict) or entry.get("op") not in ("flow_run", "set_state", "batch"):
            raise ValueError("not a journal entry (no known 'op')")
        body = entry.get("body")
        if not isinstance(body, dict):
            raise ValueError(f"a {entry['op']} entry without a body object")
        run_id = entry.get("run_id")
        if entry["op"] == "set_state" and not isinstance(run_id, str):
            raise ValueError("a set_state entry without a run id")
        return cls(entry["op"], body, run_id)

    def batch_records(self) -> list[Record]:
        """A batch's records in order, as (list name, row, encoded row)."""
        if self.records is not None:
            return self.records
        out = []
        for name in BATCH_LISTS:
            for row in self.body.get(name) or ():
                out.append((name, row, encode(row)))
        return out


def requests(
    runs: list,
    states: list[tuple],
    logs: list[tuple],
    cache: list[tuple],
    queued: list[dict],
    created: set[str],
    limit: int | None = None,
    events: list[dict] | None = None,
) -> list[Request]:
    """The requests for one drain of a recorder's queues (see the module docstring).
    ``created`` (flow runs the server knows) is updated."""
    out: list[Request] = []
    lists: dict[str, list[dict]] = {name: [] for name in BATCH_LISTS}
    for run in runs:
        if run.kind == "flow":
            if run.id not in created:
                created.add(run.id)
                out.append(Request("flow_run", flow_run_body(run)))
        else:
            lists["task_runs"].append(task_run_body(run))
    flow_transitions = []
    transitions = lists["transitions"]
    for tid, run_id, flow_run_id, type_, name, message, ts, details, run_count, ref in states:
        st = state_body(type_, name, message, ts, _loads(details), ref)
        if run_id == flow_run_id:  # a flow run's transition recorded by a capture backend
            body = {"transition_id": tid, "run_count": run_count, "state": st}
            flow_transitions.append(Request("set_state", body, run_id))
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
    lists["logs"] = [dict(zip(_LOG_FIELDS, row, strict=True)) for row in logs]
    for a in queued:
        if "update" in a:
            lists["artifact_updates"].append(
                {"id": a["id"], "data": a["data"], "description": a["description"]}
            )
        else:
            lists["artifacts"].append(a)
    lists["cache_entries"] = [dict(zip(_CACHE_FIELDS, row, strict=True)) for row in cache]
    lists["events"] = list(events or ())
    records = [(name, row, encode(row)) for name in BATCH_LISTS for row in lists[name]]
    out.extend(batches(records, limit))
    out.extend(flow_transitions)
    return out


def batches(records: list[Record], limit: int | None = None) -> list[Request]:
    """Batch requests holding `records` in order, each body at most `limit` bytes (default
    `MAX_BATCH_BYTES`) as encoded, except a record that is larger on its own."""
    limit = MAX_BATCH_BYTES if limit is None else limit
    out: list[Request] = []
    start, size = 0, 2
    for i, (name, _, data) in enumerate(records):
        grown = len(data) + len(name) + 6
        if size + grown > limit and i > start:
            out.append(batch_of(records[start:i]))
            start, size = i, 2
        size += grown
    if start < len(records):
        out.append(batch_of(records[start:]))
    return out


def batch_of(records: list[Record]) -> Request:
    """One batch request of `records` (their encodings reused). The body's lists, and the
    request's `records`, follow `BATCH_LISTS` order, each list in the order given."""
    by_list: dict[str, list[Record]] = {}
    for record in records:
        by_list.setdefault(record[0], []).append(record)
    ordered = [r for name in BATCH_LISTS for r in by_list.get(name, ())]
    body = {name: [r[1] for r in by_list[name]] for name in BATCH_LISTS if name in by_list}
    data = b",".join(
        b'"%s":[%s]' % (name.encode(), b",".join(r[2] for r in by_list[name]))
        for name in BATCH_LISTS
        if name in by_list
    )
    return Request("batch", body, data=b"{" + data + b"}", records=ordered)


def split(request: Request) -> list[Request]:
    """A batch of two or more records cut into two halves, in order."""
    records = request.batch_records()
    half = len(records) // 2
    return [batch_of(records[:half]), batch_of(records[half:])]


def state_body(type_: str, name: str, message: str | None, ts: float, details: Any,
               result_ref: str | None) -> dict[str, Any]:  # fmt: skip
    return {"type": type_, "name": name, "message": message, "timestamp": ts, "details": details,
            "result_ref": result_ref}  # fmt: skip


def flow_run_body(run: FlowRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "name": run.name,
        "flow_name": run.flow_name,
        "flow_version": run.flow_version,
        "parent_flow_run_id": run.parent_flow_run_id,
        "parent_task_run_id": run.parent_task_run_id,
        "parameters": run.parameters,
        "tags": list(run.tags),
        "created": run.created,
        "retries": run.retries,
        "entrypoint": run.entrypoint,
        "resumed_from": run.resumed_from,
        "pid": PROCESS.pid,
        "hostname": PROCESS.hostname,
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
        "cache_key": run.cache_key,
        "task_inputs": run.task_inputs,
    }


def set_state_body(row: tuple) -> dict[str, Any]:
    """The body proposing a flow run's transition, from its `transitions.Row`."""
    tid, _, _, type_, name, message, ts, details, run_count, ref = row
    return {"transition_id": tid, "run_count": run_count,
            "state": state_body(type_, name, message, ts, _loads(details), ref)}  # fmt: skip


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    return json.loads(text)


__all__ = [
    "BATCH_LISTS",
    "MAX_BATCH_BYTES",
    "Record",
    "Request",
    "batch_of",
    "batches",
    "encode",
    "flow_run_body",
    "requests",
    "set_state_body",
    "split",
    "state_body",
    "task_run_body",
]
