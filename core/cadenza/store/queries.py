"""Read queries over the run record, returning plain JSON-serialisable dicts.

Standard library only. Timestamps are ISO 8601 strings in UTC (``None`` when unset); JSON
columns (parameters, tags) are decoded. The shapes are the stable interface of
``cadenza runs ls --json`` / ``cadenza runs show --json`` and are documented in ``docs/cli.md``.
Reading a whole flow run issues at most one query per table, so a flow run with tens of thousands
of task runs is read in a handful of statements.

The server reads through the same functions, in bounded pieces: `flow_run_summary` (the run,
its own states and counts) and pages of task runs, logs and subflow runs. On PostgreSQL it passes
a connection that speaks this module's ``?`` SQL (see `cadenza.server.reads`), so both databases
build every JSON shape with the same row functions.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from cadenza._times import iso
from cadenza.states import StateType

VALID_STATE_TYPES: tuple[str, ...] = tuple(t.value for t in StateType)

FLOW_COLUMNS = (
    "id, name, flow_name, flow_version, parent_flow_run_id, parameters, tags, state_type, "
    "state_name, state_message, created, start_time, end_time, run_count, entrypoint, "
    "resumed_from, deployment_id, work_pool_name, expected_start_time, result_ref"
)
TASK_COLUMNS = (
    "id, name, task_name, task_key, tags, state_type, state_name, state_message, created, "
    "start_time, end_time, run_count, result_ref"
)
STATE_COLUMNS = "run_id, type, name, message, timestamp, transition_id"
LOG_COLUMNS = "id, timestamp, level, logger, message, task_run_id"
_PREFIX_END = "\U0010ffff"  # sorts after every character, so [p, p+END) is "starts with p"
_CHUNK = 500  # ids per IN (...) list

PAGE_TEXT = 8_000_000
"""Characters of message text after which a page of task runs or logs ends, whatever its limit
(it always holds at least one item): a page of long messages stays bounded in memory too."""
SUBFLOW_RUNS_SHOWN = 200
"""Subflow runs `flow_run_summary` includes (the first, by creation); the rest are paged."""


def _duration(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(end - start, 0.0), 6)


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return text  # never hide a stored value, even a malformed one


def flow_run_item(row: tuple[Any, ...]) -> dict[str, Any]:
    (run_id, name, flow_name, flow_version, parent, parameters, tags, state_type, state_name,
     state_message, created, start, end, run_count, entrypoint, resumed_from, deployment_id,
     work_pool_name, expected_start_time, _result_ref) = row  # fmt: skip
    return {
        "id": run_id,
        "name": name,
        "flow_name": flow_name,
        "flow_version": flow_version,
        "state": {"type": state_type, "name": state_name, "message": state_message},
        "created": iso(created),
        "start_time": iso(start),
        "end_time": iso(end),
        "duration_seconds": _duration(start, end),
        "run_count": run_count,
        "parameters": _json(parameters, {}),
        "tags": _json(tags, []),
        "parent_flow_run_id": parent,
        "entrypoint": entrypoint,
        "resumed_from": resumed_from,
        "deployment_id": deployment_id,
        "work_pool_name": work_pool_name,
        "expected_start_time": iso(expected_start_time),
    }


def task_run_item(
    row: tuple[Any, ...], states_by_run: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """A task run of `runs show --json` from a row of `TASK_COLUMNS` and the states by run."""
    (task_id, name, task_name, task_key, tags, state_type, state_name, state_message,
     created, start, end, run_count, result_ref) = row  # fmt: skip
    return {
        "id": task_id,
        "name": name,
        "task_name": task_name,
        "task_key": task_key,
        "state": {"type": state_type, "name": state_name, "message": state_message},
        "created": iso(created),
        "start_time": iso(start),
        "end_time": iso(end),
        "duration_seconds": _duration(start, end),
        "run_count": run_count,
        "tags": _json(tags, []),
        "result_ref": result_ref,
        "states": states_by_run.get(task_id, []),
    }


def state_item(row: tuple[Any, ...]) -> dict[str, Any]:
    _run_id, type_, name, message, timestamp, transition_id = row
    return {
        "type": type_,
        "name": name,
        "message": message,
        "timestamp": iso(timestamp),
        "transition_id": transition_id,
    }


def log_item(row: tuple[Any, ...]) -> dict[str, Any]:
    log_id, timestamp, level, logger, message, task_run_id = row
    return {
        "id": log_id,
        "timestamp": iso(timestamp),
        "level": level,
        "level_name": logging.getLevelName(level),
        "logger": logger,
        "message": message,
        "task_run_id": task_run_id,
    }


def normalise_state_type(state: str) -> str:
    """Upper-case `state` and check it is a state type; ValueError listing the valid ones."""
    value = state.strip().upper()
    if value not in VALID_STATE_TYPES:
        raise ValueError(
            f"Unknown state type {state!r}; expected one of: {' '.join(VALID_STATE_TYPES)}"
        )
    return value


def list_flow_runs(
    conn: sqlite3.Connection,
    *,
    limit: int | None = 20,
    state: str | None = None,
    flow_name: str | None = None,
    offset: int = 0,
    tag: str | None = None,
    since: float | None = None,
    until: float | None = None,
    deployment: str | None = None,
) -> list[dict[str, Any]]:
    """Flow runs, newest first by creation time, at most `limit` (None: all) after `offset`.

    `state` filters on the state type, case-insensitively (ValueError for an unknown type);
    `flow_name` filters on the exact flow name, `tag` on one of the run's tags, `since` and
    `until` (epoch seconds) on the creation time (``since <= created < until``), `deployment`
    on the deployment that made the run (its id, or its ``flow/name``: LookupError if no
    deployment has that name). ValueError if `limit` is below 1 or `offset` below 0.
    """
    if deployment is not None:
        check_deployment(conn, deployment)
    clauses, args = flow_run_filters(
        limit=limit, state=state, flow_name=flow_name, offset=offset, tag=tag, since=since,
        until=until, deployment=deployment,
    )  # fmt: skip
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT {FLOW_COLUMNS} FROM flow_runs{where} ORDER BY created DESC, rowid DESC"
    sql += " LIMIT ? OFFSET ?"
    args += [-1 if limit is None else limit, offset]
    return [flow_run_item(row) for row in conn.execute(sql, args)]


def flow_run_filters(
    *,
    limit: int | None,
    state: str | None,
    flow_name: str | None,
    offset: int,
    tag: str | None,
    since: float | None,
    until: float | None,
    deployment: str | None = None,
    mark: str = "?",
) -> tuple[list[str], list[Any]]:
    """The WHERE clauses (with `mark` placeholders) and arguments of `list_flow_runs`."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must be at least 0, got {offset}")
    clauses: list[str] = []
    args: list[Any] = []
    if state is not None:
        clauses.append(f"state_type = {mark}")
        args.append(normalise_state_type(state))
    if flow_name is not None:
        clauses.append(f"flow_name = {mark}")
        args.append(flow_name)
    if tag is not None:  # tags is a JSON array of strings: match the encoded element
        encoded = json.dumps(tag)
        escaped = encoded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(f"tags LIKE {mark} ESCAPE '\\'")
        args.append(f"%{escaped}%")
    if since is not None:
        clauses.append(f"created >= {mark}")
        args.append(since)
    if until is not None:
        clauses.append(f"created < {mark}")
        args.append(until)
    if deployment is not None:
        names = _deployment_name(deployment)
        if names is None:
            clauses.append(f"deployment_id = {mark}")
            args.append(deployment)
        else:
            clauses.append(
                "deployment_id IN (SELECT id FROM deployments "
                f"WHERE flow_name = {mark} AND name = {mark})"
            )
            args.extend(names)
    return clauses, args


def _deployment_name(ref: str) -> tuple[str, str] | None:
    """``(flow, deployment)`` of a ``flow/deployment`` name; None for an id."""
    flow_name, sep, name = ref.partition("/")
    return (flow_name, name) if sep and flow_name and name else None


def check_deployment(conn: Any, ref: str) -> None:
    """LookupError naming `ref` when it is a ``flow/deployment`` name no deployment has (an id
    is taken as given: the runs of a deleted deployment keep its id)."""
    names = _deployment_name(ref)
    if names is None:
        return
    row = conn.execute(
        "SELECT 1 FROM deployments WHERE flow_name = ? AND name = ?", names
    ).fetchone()
    if row is None:
        raise LookupError(f"No deployment named {ref!r}")


def resolve_flow_run_id(conn: sqlite3.Connection, ref: str) -> str:
    """Resolve a full flow run id, a unique prefix or suffix of one (the CLI shows the last 8
    characters), or ``latest`` to a full id.

    Raises LookupError when nothing matches or a prefix matches several runs.
    """
    ref = ref.strip()
    if not ref:
        raise LookupError("Empty flow run id")
    if ref == "latest":
        row = conn.execute(
            "SELECT id FROM flow_runs ORDER BY created DESC, rowid DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise LookupError("No flow runs recorded yet, so there is no 'latest' run")
        return row[0]
    if conn.execute("SELECT 1 FROM flow_runs WHERE id = ?", (ref,)).fetchone():
        return ref
    rows = conn.execute(
        "SELECT id FROM flow_runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
        (ref, ref + _PREFIX_END),
    ).fetchall()
    if not rows:
        rows = conn.execute(
            "SELECT id FROM flow_runs WHERE substr(id, -?) = ? ORDER BY id LIMIT 6",
            (len(ref), ref),
        ).fetchall()
    if not rows:
        raise LookupError(f"No flow run with id, id prefix or id suffix {ref!r}")
    if len(rows) > 1:
        shown = ", ".join(r[0] for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise LookupError(f"Flow run id {ref!r} is ambiguous; it matches {shown}")
    return rows[0][0]


def get_flow_run(conn: sqlite3.Connection, run_id: str) -> dict[str, Any]:
    """One flow run in full: its list item plus states, task runs, subflow runs, logs and
    result reference. `run_id` must be a full id (see `resolve_flow_run_id`); LookupError if
    there is no such run. Task runs are ordered by creation, states and logs by arrival.
    """
    row = _flow_run_row(conn, run_id)
    return flow_run_record(
        flow_run_item(row),
        states=run_states(conn, run_id),
        task_runs=task_runs_page(conn, run_id),
        subflow_runs=subflow_runs_page(conn, run_id),
        logs=get_logs(conn, run_id),
        result_ref=row[-1],
    )


def flow_run_record(
    run: dict[str, Any],
    *,
    states: list[dict[str, Any]],
    task_runs: list[dict[str, Any]],
    subflow_runs: list[dict[str, Any]],
    logs: list[dict[str, Any]],
    result_ref: str | None,
) -> dict[str, Any]:
    """The `runs show --json` object from its parts (one key order wherever it is built)."""
    return {**run, "states": states, "task_runs": task_runs, "subflow_runs": subflow_runs,
            "logs": logs, "result_ref": result_ref}  # fmt: skip


def flow_run_summary(conn: Any, run_id: str) -> dict[str, Any]:
    """One flow run, bounded whatever its size: its list item, its own states, its first
    `SUBFLOW_RUNS_SHOWN` subflow runs, its result reference and ``counts`` — task runs in all
    and by state type (runs with no state yet count only in the total), subflow runs, logs —
    and the ``deployment_id``, ``work_pool_name`` and ``work_queue_name`` it was created for.
    LookupError if there is no such run."""
    row = _flow_run_row(conn, run_id)
    run = flow_run_item(row)
    run["states"] = run_states(conn, run_id)
    run["subflow_runs"] = subflow_runs_page(conn, run_id, limit=SUBFLOW_RUNS_SHOWN)
    run["result_ref"] = row[-1]
    run["counts"] = run_counts(conn, run_id)
    # the deployment, pool and queue it was created for: a worker's child loads its flow
    deployment = conn.execute(
        "SELECT deployment_id, work_pool_name, work_queue_name FROM flow_runs WHERE id = ?",
        (run_id,),
    ).fetchone()
    run["deployment_id"], run["work_pool_name"], run["work_queue_name"] = deployment
    return run


def run_counts(conn: Any, run_id: str) -> dict[str, Any]:
    by_state: dict[str, int] = {}
    total = 0
    for state_type, n in conn.execute(
        "SELECT state_type, count(*) FROM task_runs WHERE flow_run_id = ? GROUP BY state_type",
        (run_id,),
    ):
        total += n
        if state_type is not None:
            by_state[state_type] = n

    def count(sql: str) -> int:
        return conn.execute(sql, (run_id,)).fetchone()[0]

    return {
        "task_runs": total,
        "task_runs_by_state": dict(sorted(by_state.items())),
        "subflow_runs": count("SELECT count(*) FROM flow_runs WHERE parent_flow_run_id = ?"),
        "logs": count("SELECT count(*) FROM logs WHERE flow_run_id = ?"),
    }


def run_states(conn: Any, run_id: str) -> list[dict[str, Any]]:
    """The state transitions of one run (flow or task), in arrival order."""
    sql = f"SELECT {STATE_COLUMNS} FROM run_states WHERE run_id = ? ORDER BY id"
    return [state_item(row) for row in conn.execute(sql, (run_id,))]


def task_runs_page(
    conn: Any,
    run_id: str,
    limit: int | None = None,
    offset: int = 0,
    max_text: int | None = None,
) -> list[dict[str, Any]]:
    """The task runs of flow run `run_id` by creation, each with its states: at most `limit`
    (None: all) after `offset`, ending early once their state messages pass `max_text`
    characters."""
    sql = f"SELECT {TASK_COLUMNS} FROM task_runs WHERE flow_run_id = ? "
    sql += f"ORDER BY created, {_tiebreak(conn)}"
    sql, args = _paged(conn, sql, [run_id], limit, offset)
    rows = _bounded(conn.execute(sql, args), limit, 7, max_text)  # 7: state_message
    if limit is None and not offset:  # every task run: one query for all their states
        sql = f"SELECT {STATE_COLUMNS} FROM run_states WHERE flow_run_id = ? ORDER BY id"
        states = _by_run(conn.execute(sql, (run_id,)))
    else:
        states = _states_of(conn, [row[0] for row in rows])
    return [task_run_item(row, states) for row in rows]


def subflow_runs_page(
    conn: Any, run_id: str, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """The flow runs called by flow run `run_id`, by creation: at most `limit` after `offset`."""
    sql = f"SELECT {FLOW_COLUMNS} FROM flow_runs WHERE parent_flow_run_id = ? "
    sql += f"ORDER BY created, {_tiebreak(conn)}"
    sql, args = _paged(conn, sql, [run_id], limit, offset)
    return [flow_run_item(row) for row in conn.execute(sql, args)]


def get_logs(conn: Any, run_id: str) -> list[dict[str, Any]]:
    """Log lines of the flow run `run_id` (its own and its task runs'), in arrival order.

    Returns an empty list for an unknown id; subflow runs' logs belong to the subflow run.
    """
    return logs_page(conn, run_id)


def logs_page(
    conn: Any,
    run_id: str,
    limit: int | None = None,
    offset: int = 0,
    after: int | None = None,
    max_text: int | None = None,
    *,
    before: int | None = None,
    level: int | None = None,
    q: str | None = None,
    task_run_id: str | None = None,
) -> list[dict[str, Any]]:
    """Log lines of flow run `run_id` in arrival order, those with an id above `after` and below
    `before` (when given), of `level` or above, of task run `task_run_id`, whose message holds
    `q` (case-insensitive; SQLite folds ASCII only): at most `limit` after `offset`, ending early
    once their messages pass `max_text` characters. With `before` (and no `after`) the page is
    the `limit` lines just before it (`offset` counts back from it), still in arrival order."""
    sql = f"SELECT {LOG_COLUMNS} FROM logs WHERE flow_run_id = ?"
    args: list[Any] = [run_id]
    for clause, value in (("id > ?", after), ("id < ?", before), ("level >= ?", level),
                          ("task_run_id = ?", task_run_id)):  # fmt: skip
        if value is not None:
            sql += f" AND {clause}"
            args.append(value)
    if q:
        sql += " AND lower(message) LIKE lower(?) ESCAPE '\\'"
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
    backwards = before is not None and after is None
    sql, args = _paged(conn, sql + (" ORDER BY id DESC" if backwards else " ORDER BY id"), args,
                       limit, offset)  # fmt: skip
    rows = _bounded(conn.execute(sql, args), limit, 4, max_text)
    return [log_item(row) for row in (rows[::-1] if backwards else rows)]


def _flow_run_row(conn: Any, run_id: str) -> tuple[Any, ...]:
    row = conn.execute(f"SELECT {FLOW_COLUMNS} FROM flow_runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise LookupError(f"No flow run with id {run_id!r}")
    return row


def _tiebreak(conn: Any) -> str:
    """What orders rows created at the same moment: SQLite's rowid (insertion order, as the
    embedded record has always shown them); the id on other databases, which have no rowid."""
    return "rowid" if isinstance(conn, sqlite3.Connection) else "id"


def _paged(
    conn: Any, sql: str, args: list[Any], limit: int | None, offset: int
) -> tuple[str, list[Any]]:
    if limit is not None:
        sql += " LIMIT ?"
        args = [*args, limit]
    elif offset and isinstance(conn, sqlite3.Connection):
        sql += " LIMIT -1"  # SQLite has no OFFSET without a LIMIT
    if offset:
        sql += " OFFSET ?"
        args = [*args, offset]
    return sql, args


def _bounded(rows: Iterable[Any], limit: int | None, text_at: int, max_text: int | None) -> list:
    """The rows up to `limit`, or up to the one that brings the text in column `text_at` past
    `max_text` characters (read lazily: the rest are never fetched)."""
    taken, size = [], 0
    try:
        for row in rows:
            taken.append(row)
            if limit is not None and len(taken) >= limit:
                break
            if max_text is not None:
                size += len(row[text_at] or "")
                if size >= max_text:
                    break
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    return taken


def _by_run(rows: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    states: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        states.setdefault(row[0], []).append(state_item(row))
    return states


def _states_of(conn: Any, run_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The states of each of `run_ids`, in arrival order (a few IN (...) queries)."""
    states: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(run_ids), _CHUNK):
        chunk = run_ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {STATE_COLUMNS} FROM run_states WHERE run_id IN ({marks}) ORDER BY id"
        states.update(_by_run(conn.execute(sql, chunk)))
    return states


__all__ = [
    "FLOW_COLUMNS",
    "LOG_COLUMNS",
    "PAGE_TEXT",
    "STATE_COLUMNS",
    "SUBFLOW_RUNS_SHOWN",
    "TASK_COLUMNS",
    "VALID_STATE_TYPES",
    "check_deployment",
    "flow_run_filters",
    "flow_run_item",
    "flow_run_record",
    "flow_run_summary",
    "get_flow_run",
    "get_logs",
    "list_flow_runs",
    "log_item",
    "logs_page",
    "normalise_state_type",
    "resolve_flow_run_id",
    "run_counts",
    "run_states",
    "state_item",
    "subflow_runs_page",
    "task_run_item",
    "task_runs_page",
]
