"""Saved views in the record: named filters of a dashboard page, at most one the page's default.

Functions take an open connection inside a write (or read) transaction of
`cadenza.store.sql.SqlDatabase`; the API checks names and queries before they get here
(`cadenza.server.saved_view_routes`). A view is a dict: ``id``, ``name``, ``page``, ``query``
(the decoded JSON object of filter fields), ``is_default``, ``created``, ``updated``.

Every write first takes the saved views' lock (`_serialise`): on SQLite the write transaction
(``BEGIN IMMEDIATE``) already is one; on PostgreSQL a transaction-scoped advisory lock. So
"clear the page's default, set this one" and "is this name taken?" are each decided by one
writer at a time, and sixteen concurrent "make default" calls leave exactly one default — the
last to commit — instead of tripping over the partial unique index that backs the rule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from cadenza._ids import new_id
from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.store.tables import saved_views

_LOCK_KEY = 0x5A7ED_0001  # pg_advisory_xact_lock key of the saved views' writes
_PUBLIC = ("id", "name", "page", "query", "is_default", "created", "updated")


def _decoded(row: Any) -> dict[str, Any]:
    out = {k: row._mapping[k] for k in _PUBLIC}
    out["query"] = json.loads(out["query"])
    out["is_default"] = bool(out["is_default"])
    return out


def _serialise(conn: sa.Connection) -> None:
    """Make this transaction the only writer of saved views until it ends (see the module)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))


def _name_taken(conn: sa.Connection, name: str, other_than: str | None = None) -> None:
    query = sa.select(saved_views.c.id).where(saved_views.c.name == name)
    if other_than is not None:
        query = query.where(saved_views.c.id != other_than)
    if conn.execute(query).first() is not None:
        raise ObjectAlreadyExists(f"a saved view named {name!r} exists")


def _clear_default(conn: sa.Connection, page: str, now: float) -> None:
    conn.execute(
        saved_views.update()
        .where(saved_views.c.page == page, saved_views.c.is_default.is_(True))
        .values(is_default=False, updated=now)
    )


def list_views(conn: sa.Connection, page: str | None = None) -> list[dict[str, Any]]:
    """Saved views by name (then id); only those of `page` if given."""
    query = sa.select(saved_views).order_by(saved_views.c.name, saved_views.c.id)
    if page is not None:
        query = query.where(saved_views.c.page == page)
    return [_decoded(r) for r in conn.execute(query)]


def read(conn: sa.Connection, view_id: str) -> dict[str, Any]:
    """The view; `ObjectNotFound` naming the id otherwise."""
    row = conn.execute(sa.select(saved_views).where(saved_views.c.id == view_id)).first()
    if row is None:
        raise ObjectNotFound(f"no saved view with id {view_id!r}")
    return _decoded(row)


def create(
    conn: sa.Connection, name: str, page: str, query: Mapping[str, Any],
    is_default: bool = False, now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Save a view (the page's default if `is_default`, clearing the previous one);
    `ObjectAlreadyExists` if the name is taken."""
    now = time.time() if now is None else now
    _serialise(conn)
    _name_taken(conn, name)
    if is_default:
        _clear_default(conn, page, now)
    view_id = new_id()
    conn.execute(
        saved_views.insert().values(
            id=view_id, name=name, page=page, query=json.dumps(dict(query)),
            is_default=is_default, created=now, updated=now,
        )
    )  # fmt: skip
    return read(conn, view_id)


def update(
    conn: sa.Connection, view_id: str, name: str | None = None,
    query: Mapping[str, Any] | None = None, is_default: bool | None = None,
    now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Change what is given: rename (`ObjectAlreadyExists` if another view has the name), new
    filters, make the page's default (clearing the previous one) or stop being it."""
    now = time.time() if now is None else now
    _serialise(conn)
    current = read(conn, view_id)
    values: dict[str, Any] = {"updated": now}
    if name is not None:
        _name_taken(conn, name, other_than=view_id)
        values["name"] = name
    if query is not None:
        values["query"] = json.dumps(dict(query))
    if is_default is not None:
        if is_default and not current["is_default"]:
            _clear_default(conn, current["page"], now)
        values["is_default"] = is_default
    conn.execute(saved_views.update().where(saved_views.c.id == view_id).values(values))
    return read(conn, view_id)


def delete(conn: sa.Connection, view_id: str) -> dict[str, Any]:
    """Delete the view; returns it as it was (`ObjectNotFound` if there is none)."""
    _serialise(conn)
    current = read(conn, view_id)
    conn.execute(saved_views.delete().where(saved_views.c.id == view_id))
    return current


def default_view(conn: sa.Connection, page: str) -> dict[str, Any] | None:
    """The page's default view, or None."""
    row = conn.execute(
        sa.select(saved_views).where(saved_views.c.page == page, saved_views.c.is_default.is_(True))
    ).first()
    return None if row is None else _decoded(row)


__all__ = ["create", "default_view", "delete", "list_views", "read", "update"]
