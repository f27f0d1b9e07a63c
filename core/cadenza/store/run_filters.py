"""Prefect-shaped filters as SQL: the one translation of `FlowRunFilter`, `TaskRunFilter`,
`LogFilter`, ... into WHERE clauses, for the embedded record and the server alike.

A filter arrives as the JSON its pydantic model dumps to (``{"state": {"type": {"any_":
["FAILED"]}}, "tags": {"all_": ["etl"]}}``, see `cadenza.client.schemas.filters`): the client
of the embedded record passes it here directly, the HTTP client sends it to ``POST
/api/flow_runs/filter`` and the server passes it here. Standard library only; the clauses use
``?`` placeholders (`cadenza.server.reads` runs them on PostgreSQL).

Each filter is described by a spec: a field maps to ``(column, kind)`` or to a nested spec.
The kind says which operators a field takes (``any_``, ``not_any_``, ``like_``, ``all_``,
``is_null_``, ``before_``/``after_``, ``ge_``/``le_``, ...). A group's ``operator`` (``and_``,
the default, or ``or_``) joins its fields. A field or operator this module does not know is a
`FilterError` naming where it is (``flow_runs.state.type.every_``), never silently ignored.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Union

from cadenza.states import StateType

_STATE_TYPES = frozenset(t.value for t in StateType)
FLOW_ID_NAMESPACE = uuid.UUID("b6f4a7c2-1d3e-4c5b-9a8f-7e6d5c4b3a21")
"""A flow has no row of its own: its id is the UUID-5 of its name in this namespace."""

Spec = Mapping[str, Union[tuple[str, str], "Spec"]]


class FilterError(ValueError):
    """A filter the record cannot apply; `loc` says where (``["flow_runs", "tags", "all_"]``)."""

    def __init__(self, loc: list[str], message: str) -> None:
        super().__init__(f"{'.'.join(loc)}: {message}")
        self.loc = loc
        self.message = message


def flow_id(flow_name: str) -> str:
    """The id of the flow named `flow_name` (stable: the same name, the same id)."""
    return str(uuid.uuid5(FLOW_ID_NAMESPACE, flow_name))


_TIME = ("time", "before_ after_ is_null_")
FLOW_RUN: Spec = {
    "id": ("id", "any_ not_any_"),
    "name": ("name", "any_ like_"),
    "tags": ("tags", "tags"),
    "deployment_id": ("deployment_id", "any_ is_null_"),
    "work_queue_name": ("work_queue_name", "any_ is_null_"),
    "state": {
        "type": ("state_type", "any_ not_any_ state"),
        "name": ("state_name", "any_ not_any_"),
    },
    "flow_version": ("flow_version", "any_"),
    "start_time": ("start_time", "time"),
    "end_time": ("end_time", "time"),
    "expected_start_time": ("expected_start_time", "time"),
    "next_scheduled_start_time": ("expected_start_time", "time"),
    "parent_flow_run_id": ("parent_flow_run_id", "any_ is_null_"),
    "parent_task_run_id": ("parent_task_run_id", "any_ is_null_"),
    "idempotency_key": ("idempotency_key", "any_ not_any_"),
}
TASK_RUN: Spec = {
    "id": ("id", "any_ not_any_"),
    "name": ("name", "any_ like_"),
    "tags": ("tags", "tags"),
    "state": {
        "type": ("state_type", "any_ not_any_ state"),
        "name": ("state_name", "any_ not_any_"),
    },
    "start_time": ("start_time", "time"),
    "end_time": ("end_time", "time"),
    "expected_start_time": ("created", "time"),
    "flow_run_id": ("flow_run_id", "any_ is_null_"),
    "subflow_runs": ("id", "subflows"),
}
FLOW: Spec = {"id": ("flow_name", "flow_ids"), "name": ("flow_name", "any_ like_")}
DEPLOYMENT: Spec = {
    "id": ("id", "any_ not_any_"),
    "name": ("name", "any_ like_"),
    "tags": ("tags", "tags"),
    "work_queue_name": ("work_queue_name", "any_"),
    "flow_or_deployment_name": ("name", "like_"),
}
LOG: Spec = {
    "name": ("logger", "any_"),
    "level": ("level", "ge_ le_"),
    "timestamp": ("timestamp", "time"),
    "flow_run_id": ("flow_run_id", "any_"),
    "task_run_id": ("task_run_id", "any_"),
    "text": ("message", "query"),
}
ARTIFACT: Spec = {
    "id": ("id", "any_"),
    "key": ("key", "any_ like_ exists_"),
    "flow_run_id": ("flow_run_id", "any_"),
    "task_run_id": ("task_run_id", "any_"),
    "type": ("type", "any_ not_any_"),
}

FLOW_RUN_SORTS = {
    "ID_DESC": "id DESC",
    "START_TIME_ASC": "start_time IS NULL, start_time ASC, id ASC",
    "START_TIME_DESC": "start_time IS NULL, start_time DESC, id DESC",
    "EXPECTED_START_TIME_ASC": "expected_start_time IS NULL, expected_start_time ASC, id ASC",
    "EXPECTED_START_TIME_DESC": "expected_start_time IS NULL, expected_start_time DESC, id DESC",
    "NAME_ASC": "name ASC, id ASC",
    "NAME_DESC": "name DESC, id DESC",
    "NEXT_SCHEDULED_START_TIME_ASC": "expected_start_time IS NULL, expected_start_time ASC, id",
    "END_TIME_DESC": "end_time IS NULL, end_time DESC, id DESC",
}
TASK_RUN_SORTS = {
    "ID_DESC": "id DESC",
    "EXPECTED_START_TIME_ASC": "created ASC, id ASC",
    "EXPECTED_START_TIME_DESC": "created DESC, id DESC",
    "NAME_ASC": "name ASC, id ASC",
    "NAME_DESC": "name DESC, id DESC",
    "NEXT_SCHEDULED_START_TIME_ASC": "created ASC, id ASC",
    "END_TIME_DESC": "end_time IS NULL, end_time DESC, id DESC",
    "DURATION_DESC": "(end_time - start_time) IS NULL, (end_time - start_time) DESC, id DESC",
    "DURATION_ASC": "(end_time - start_time) IS NULL, (end_time - start_time) ASC, id ASC",
}
LOG_SORTS = {"TIMESTAMP_ASC": "timestamp ASC, id ASC", "TIMESTAMP_DESC": "timestamp DESC, id DESC"}
ARTIFACT_SORTS = {
    "CREATED_DESC": "created DESC, id DESC",
    "UPDATED_DESC": "created DESC, id DESC",
    "ID_DESC": "id DESC",
    "KEY_DESC": '"key" DESC, created DESC',
    "KEY_ASC": '"key" ASC, created DESC',
}
DEPLOYMENT_SORTS = {
    "CREATED_DESC": "created DESC, id DESC",
    "UPDATED_DESC": "updated DESC, id DESC",
    "NAME_ASC": "name ASC, id ASC",
    "NAME_DESC": "name DESC, id DESC",
}


def order_by(sorts: Mapping[str, str], sort: Any, default: str, loc: str) -> str:
    """The ORDER BY of a sort's name (``"START_TIME_DESC"``); `FilterError` for another."""
    name = default if sort is None else str(getattr(sort, "value", sort))
    if name not in sorts:
        raise FilterError([loc], f"unknown sort; expected one of: {' '.join(sorts)}")
    return sorts[name]


class _Builder:
    """Clauses and arguments of one query; `flow_names` lists the recorded flow names (to find
    a flow by its id)."""

    def __init__(self, flow_names: Callable[[], list[str]]) -> None:
        self.args: list[Any] = []
        self.flow_names = flow_names

    def group(self, spec: Spec, given: Any, loc: list[str]) -> str | None:
        """The clause of one filter model (a dict of its fields), None when it filters nothing."""
        if given is None:
            return None
        if not isinstance(given, Mapping):
            raise FilterError(loc, f"must be an object, got {type(given).__name__}")
        joiner = " AND "
        clauses: list[str] = []
        for field, value in given.items():
            if field == "operator":
                if value not in ("and_", "or_"):
                    raise FilterError([*loc, field], "must be 'and_' or 'or_'")
                joiner = " AND " if value == "and_" else " OR "
                continue
            if value is None:
                continue
            inner = spec.get(field)
            if inner is None:
                raise FilterError([*loc, named(field)], "this record cannot filter on it")
            if isinstance(inner, tuple):
                clause = self.leaf(inner[0], inner[1], value, [*loc, field])
            else:
                clause = self.group(inner, value, [*loc, field])
            if clause is not None:
                clauses.append(clause)
        if not clauses:
            return None
        return "(" + joiner.join(clauses) + ")"

    def leaf(self, column: str, kind: str, given: Any, loc: list[str]) -> str | None:
        if not isinstance(given, Mapping):
            raise FilterError(loc, f"must be an object, got {type(given).__name__}")
        allowed = set(_KINDS.get(kind, [k for k in kind.split() if k.endswith("_")]))
        clauses = []
        for op, value in given.items():
            if value is None or op == "operator":
                continue
            if op not in allowed:
                expected = " ".join(sorted(allowed))
                message = f"unknown operator; expected one of: {expected}"
                raise FilterError([*loc, named(op)], message)
            clause = self.operator(column, kind, op, value, [*loc, op])
            if clause is not None:
                clauses.append(clause)
        joiner = " OR " if given.get("operator") == "or_" else " AND "
        return "(" + joiner.join(clauses) + ")" if clauses else None

    def operator(self, column: str, kind: str, op: str, value: Any, loc: list[str]) -> str | None:
        quoted = f'"{column}"' if column == "key" else column
        if kind == "tags":
            return self.tags(quoted, op, value, loc)
        if kind == "flow_ids":
            wanted = {str(v) for v in _strings(value, loc)}
            names = [n for n in self.flow_names() if flow_id(n) in wanted]
            return self.members(quoted, names, negate=False)
        if op in ("any_", "not_any_"):
            values = _strings(value, loc)
            if "state" in kind.split():
                values = [_state_type(v, [*loc, str(i)]) for i, v in enumerate(values)]
            return self.members(quoted, values, negate=op == "not_any_")
        if op == "like_":
            self.args.append(f"%{_escape(_string(value, loc).lower())}%")
            return f"lower({quoted}) LIKE ? ESCAPE '\\'"
        if op == "is_null_" or op == "exists_":
            null = bool(value) if op == "is_null_" else not bool(value)
            if kind == "subflows":
                inner = (
                    "SELECT parent_task_run_id FROM flow_runs WHERE parent_task_run_id IS NOT NULL"
                )
                return f"{quoted} {'NOT ' if null else ''}IN ({inner})"
            return f"{quoted} IS {'' if null else 'NOT '}NULL"
        if op in ("before_", "after_"):
            self.args.append(_epoch(value, loc))
            return f"{quoted} {'<=' if op == 'before_' else '>='} ?"
        if op in ("ge_", "le_"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise FilterError(loc, "must be a number")
            self.args.append(value)
            return f"{quoted} {'>=' if op == 'ge_' else '<='} ?"
        if op == "query":  # Prefect's text search: every word must appear (``-word``: must not)
            clauses = []
            for word in _string(value, loc).split():
                negate = word.startswith("-") and len(word) > 1
                word = word[1:] if negate or word.startswith("+") else word
                self.args.append(f"%{_escape(word.strip(chr(34)).lower())}%")
                clauses.append(f"lower({quoted}) {'NOT ' if negate else ''}LIKE ? ESCAPE '\\'")
            return "(" + " AND ".join(clauses) + ")" if clauses else None
        raise FilterError(loc, "unknown operator")  # pragma: no cover - `allowed` caught it

    def members(self, column: str, values: list[str], negate: bool) -> str:
        if not values:
            return "1=1" if negate else "1=0"
        self.args.extend(values)
        marks = ", ".join("?" * len(values))
        if negate:
            return f"({column} IS NULL OR {column} NOT IN ({marks}))"
        return f"{column} IN ({marks})"

    def tags(self, column: str, op: str, value: Any, loc: list[str]) -> str:
        if op == "is_null_":
            return f"{column} {'=' if value else '!='} '[]'"
        tags = _strings(value, loc)
        if not tags:
            return "1=1" if op == "all_" else "1=0"
        clauses = []
        for tag in tags:  # tags is a JSON array of strings: match the encoded element
            self.args.append(f"%{_escape(json.dumps(tag))}%")
            clauses.append(f"{column} LIKE ? ESCAPE '\\'")
        return "(" + (" AND " if op == "all_" else " OR ").join(clauses) + ")"


_KINDS = {
    "tags": ("all_", "any_", "is_null_"),
    "time": ("before_", "after_", "is_null_"),
    "flow_ids": ("any_",),
    "subflows": ("exists_",),
    "query": ("query",),
}


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def named(key: Any) -> str:
    """`key` where it names an unknown field in an error, if it looks like a field's name;
    ``"<unknown>"`` otherwise (an error never repeats a value that may be a secret)."""
    return key if isinstance(key, str) and _NAME.match(key) else "<unknown>"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _string(value: Any, loc: list[str]) -> str:
    if not isinstance(value, str):
        raise FilterError(loc, f"must be a string, got {type(value).__name__}")
    return value


def _strings(value: Any, loc: list[str]) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise FilterError(loc, "must be a list")
    return [_string(str(v) if isinstance(v, uuid.UUID) else v, [*loc, str(i)])
            for i, v in enumerate(value)]  # fmt: skip


def _state_type(value: str, loc: list[str]) -> str:
    if value.upper() not in _STATE_TYPES:
        raise FilterError(loc, "unknown state type; expected one of: "
                          + " ".join(sorted(_STATE_TYPES)))  # fmt: skip
    return value.upper()


def _epoch(value: Any, loc: list[str]) -> float:
    """Epoch seconds of a time given as a number, a `datetime` or ISO 8601 (naive: UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FilterError(loc, "not an ISO 8601 time") from None
    if not isinstance(value, datetime):
        raise FilterError(loc, "must be a time (ISO 8601 or epoch seconds)")
    moment: datetime = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _where(clauses: list[str | None]) -> str:
    kept = [c for c in clauses if c]
    return " WHERE " + " AND ".join(kept) if kept else ""


def flow_run_where(
    body: Mapping[str, Any], flow_names: Callable[[], list[str]]
) -> tuple[str, list[Any]]:
    """`` WHERE ...`` over ``flow_runs`` (or ``""``) and its arguments, for a body with the
    filters of Prefect's ``read_flow_runs``: ``flows``, ``flow_runs``, ``task_runs``,
    ``deployments`` (each a filter's JSON, or None)."""
    b = _Builder(flow_names)
    clauses = [b.group(FLOW, body.get("flows"), ["flows"]),
               b.group(FLOW_RUN, body.get("flow_runs"), ["flow_runs"])]  # fmt: skip
    tasks = b.group(TASK_RUN, body.get("task_runs"), ["task_runs"])
    if tasks:
        clauses.append(f"id IN (SELECT flow_run_id FROM task_runs WHERE {tasks})")
    deployments = b.group(DEPLOYMENT, body.get("deployments"), ["deployments"])
    if deployments:
        clauses.append(f"deployment_id IN (SELECT id FROM deployments WHERE {deployments})")
    _refuse_others(body, ("flows", "flow_runs", "task_runs", "deployments"))
    return _where(clauses), b.args


def task_run_where(
    body: Mapping[str, Any], flow_names: Callable[[], list[str]]
) -> tuple[str, list[Any]]:
    """`flow_run_where` over ``task_runs``: the task runs that match ``task_runs`` and whose
    flow run matches ``flows``, ``flow_runs`` and ``deployments``."""
    b = _Builder(flow_names)
    clauses = [b.group(TASK_RUN, body.get("task_runs"), ["task_runs"])]
    runs = [b.group(FLOW, body.get("flows"), ["flows"]),
            b.group(FLOW_RUN, body.get("flow_runs"), ["flow_runs"])]  # fmt: skip
    deployments = b.group(DEPLOYMENT, body.get("deployments"), ["deployments"])
    if deployments:
        runs.append(f"deployment_id IN (SELECT id FROM deployments WHERE {deployments})")
    if any(runs):
        clauses.append(f"flow_run_id IN (SELECT id FROM flow_runs{_where(runs)})")
    _refuse_others(body, ("flows", "flow_runs", "task_runs", "deployments"))
    return _where(clauses), b.args


def single_where(spec: Spec, given: Any, loc: str) -> tuple[str, list[Any]]:
    """`` WHERE ...`` of one filter (`LOG`, `ARTIFACT`, `DEPLOYMENT`) and its arguments."""
    b = _Builder(list)
    return _where([b.group(spec, given, [loc])]), b.args


def _refuse_others(body: Mapping[str, Any], known: tuple[str, ...]) -> None:
    for key, value in body.items():
        if key not in known and value is not None:
            raise FilterError(
                [named(key)], f"this record cannot filter on it; it takes {', '.join(known)}"
            )


__all__ = [
    "ARTIFACT",
    "ARTIFACT_SORTS",
    "DEPLOYMENT",
    "DEPLOYMENT_SORTS",
    "FLOW_RUN_SORTS",
    "LOG",
    "LOG_SORTS",
    "TASK_RUN_SORTS",
    "FilterError",
    "flow_id",
    "flow_run_where",
    "named",
    "order_by",
    "single_where",
    "task_run_where",
]
