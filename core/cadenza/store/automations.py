"""Automations in the record: create, list, read, replace, enable or disable, delete, and the
evaluator's bookkeeping.

Functions take an open connection inside a transaction of `cadenza.store.sql.SqlDatabase`. An
automation is a dict: ``id``, ``name``, ``description``, ``enabled``, ``trigger`` and ``actions``
(decoded JSON, as `cadenza.automations.schemas.AutomationCore` dumps them), ``created``,
``updated``. Its ``evaluation`` (JSON) belongs to the evaluator (`cadenza.server.triggers`): it
is reset whenever the automation is created, replaced or enabled, so that it starts from the
stream's head and never fires for what happened before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from cadenza._ids import new_id
from cadenza.exceptions import ObjectNotFound
from cadenza.store import event_stream
from cadenza.store.tables import automations

_PUBLIC = ("id", "name", "description", "enabled", "trigger", "actions", "created", "updated")


def _decoded(row: Any) -> dict[str, Any]:
    out = {k: row._mapping[k] for k in _PUBLIC}
    out["enabled"] = bool(out["enabled"])
    out["trigger"] = json.loads(out["trigger"])
    out["actions"] = json.loads(out["actions"])
    out["description"] = out["description"] or ""
    return out


def fresh_evaluation(conn: sa.Connection, now: float | None = None) -> str:
    """The evaluator's starting point: the stream's head, and now."""
    cursor = event_stream.head(conn)
    now = time.time() if now is None else now
    return json.dumps({"cursor": list(cursor), "started": now})


def create(conn: sa.Connection, spec: Mapping[str, Any], now: float | None = None) -> dict:
    """Create an automation from `spec` (an `AutomationCore` dump); return it."""
    now = time.time() if now is None else now
    automation_id = new_id()
    conn.execute(
        automations.insert().values(
            id=automation_id, name=spec["name"], description=spec.get("description") or "",
            enabled=bool(spec.get("enabled", True)), trigger=json.dumps(spec["trigger"]),
            actions=json.dumps(spec.get("actions") or []),
            evaluation=fresh_evaluation(conn, now), created=now, updated=now,
        )
    )  # fmt: skip
    return read(conn, automation_id)


def read(conn: sa.Connection, automation_id: str) -> dict[str, Any]:
    """The automation; `ObjectNotFound` naming the id otherwise."""
    row = conn.execute(sa.select(automations).where(automations.c.id == automation_id)).first()
    if row is None:
        raise ObjectNotFound(f"no automation with id {automation_id!r}")
    return _decoded(row)


def list_automations(
    conn: sa.Connection, name: str | None = None, limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    """Automations by name (then id); only those named `name` if given."""
    query = sa.select(automations).order_by(automations.c.name, automations.c.id)
    if name is not None:
        query = query.where(automations.c.name == name)
    return [_decoded(r) for r in conn.execute(query.limit(limit).offset(offset))]


def replace(conn: sa.Connection, automation_id: str, spec: Mapping[str, Any]) -> dict:
    """Replace the automation's definition (its evaluation starts afresh)."""
    read(conn, automation_id)
    conn.execute(
        automations.update()
        .where(automations.c.id == automation_id)
        .values(
            name=spec["name"], description=spec.get("description") or "",
            enabled=bool(spec.get("enabled", True)), trigger=json.dumps(spec["trigger"]),
            actions=json.dumps(spec.get("actions") or []), evaluation=fresh_evaluation(conn),
            updated=time.time(),
        )
    )  # fmt: skip
    return read(conn, automation_id)


def set_enabled(conn: sa.Connection, automation_id: str, enabled: bool) -> dict[str, Any]:
    """Enable (from the stream's head on) or disable an automation."""
    current = read(conn, automation_id)
    if current["enabled"] != enabled:
        values: dict[str, Any] = {"enabled": enabled, "updated": time.time()}
        if enabled:
            values["evaluation"] = fresh_evaluation(conn)
        conn.execute(automations.update().where(automations.c.id == automation_id).values(values))
    return read(conn, automation_id)


def delete(conn: sa.Connection, automation_id: str) -> dict[str, Any]:
    current = read(conn, automation_id)
    conn.execute(automations.delete().where(automations.c.id == automation_id))
    return current


# -- the evaluator's -------------------------------------------------------------------------------


def enabled_automations(conn: sa.Connection) -> list[dict[str, Any]]:
    """Every enabled automation with its evaluation (decoded)."""
    rows = conn.execute(
        sa.select(automations).where(automations.c.enabled.is_(True)).order_by(automations.c.id)
    )
    out = []
    for row in rows:
        item = _decoded(row)
        item["evaluation"] = json.loads(row.evaluation or "{}")
        out.append(item)
    return out


def lock(conn: sa.Connection, automation_id: str) -> dict[str, Any] | None:
    """The automation's row locked for its evaluation in this transaction, with its evaluation;
    None if it is gone, disabled, or (PostgreSQL) another process is evaluating it now."""
    query = sa.select(automations).where(
        automations.c.id == automation_id, automations.c.enabled.is_(True)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = conn.execute(query).first()
    if row is None:
        return None
    item = _decoded(row)
    item["evaluation"] = json.loads(row.evaluation or "{}")
    return item


def save_evaluation(conn: sa.Connection, automation_id: str, evaluation: Mapping) -> None:
    conn.execute(
        automations.update()
        .where(automations.c.id == automation_id)
        .values(evaluation=json.dumps(evaluation, default=str))
    )


__all__ = [
    "create",
    "delete",
    "enabled_automations",
    "fresh_evaluation",
    "list_automations",
    "lock",
    "read",
    "replace",
    "save_evaluation",
    "set_enabled",
]
