"""Routes of the event stream and of automations (docs/reference/http-api.md).

``POST /events`` records events sent to the server (a list of at most `MAX_EVENTS`, each a
`cadenza.events.schemas.events.EventIn`: validated whole before any is written, each id kept once).
``GET /events`` and ``POST /events/filter`` read one page of the stream
(`cadenza.store.event_stream`): without a cursor the newest events, newest first, and the cursor
of the stream's head; with one, the events after it, oldest first, and the cursor to read on
from. Automations are created, read, replaced, enabled or disabled and deleted under
``/automations``; their bodies are `cadenza.automations.schemas.AutomationCore`.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cadenza.automations.schemas import AutomationCore, Label, Ref
from cadenza.events.schemas.events import EventIn
from cadenza.server.errors import NOT_FOUND, Refused
from cadenza.server.models import Epoch, Id
from cadenza.server.run_routes import epoch
from cadenza.store import automations as store_automations
from cadenza.store import deployments as store_deployments
from cadenza.store import event_stream
from cadenza.store import events as store_events
from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import blocks

MAX_EVENTS = 1_000
"""The most events one page holds, and one `POST /events` takes."""
AutomationRef = Annotated[Id, Path(description="an automation's id")]


class EventFilterIn(BaseModel):
    """Which events to read (every criterion given must hold; a list: any of its items)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    event: Annotated[list[Label], Field(max_length=100)] = Field(
        default_factory=list, description="event name prefixes, e.g. `cadenza.flow-run.`"
    )
    resource: Annotated[list[Label], Field(max_length=100)] = Field(
        default_factory=list, description="ids of the event's resource (or bare run ids)"
    )
    related: Annotated[list[Label], Field(max_length=100)] = Field(
        default_factory=list, description="ids of a related resource, e.g. `cadenza.tag.nightly`"
    )
    flow: Label | None = Field(None, description="a flow's name")
    deployment: Label | None = Field(None, description="a deployment's id or flow/name")
    since: Epoch | Label | None = Field(None, description="epoch seconds or ISO 8601: occurred >=")
    until: Epoch | Label | None = Field(None, description="epoch seconds or ISO 8601: occurred <")
    limit: int = Field(200, ge=1, le=MAX_EVENTS)
    cursor: Label | None = Field(None, description="read the events after this cursor")


class EnabledIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


def router(db: SqlDatabase) -> APIRouter:
    api = APIRouter()

    # -- events ---------------------------------------------------------------------------------
    @api.post("/events")
    def create_events(
        body: Annotated[list[EventIn], Body(max_length=MAX_EVENTS)],
    ) -> dict[str, int]:
        """Record events (`cadenza.events.emit_event` sends them in batches; this route takes
        them from anything else). Each is validated before any is written; an id recorded
        before is kept once (counted in `duplicates`)."""
        with db.write() as conn:
            stored = store_events.ingest(conn, [e.record() for e in body])
        return {"stored": stored, "duplicates": len(body) - stored}

    @api.post("/events/filter", responses=NOT_FOUND)
    def filter_events(body: EventFilterIn) -> dict[str, Any]:
        """A page of events and the cursor to read on from."""
        return _page(db, body)

    @api.get("/events", responses=NOT_FOUND)
    def read_events(
        event: Annotated[list[str], Query(description="event name prefixes")] = [],  # noqa: B006
        resource: Annotated[list[str], Query(description="resource ids")] = [],  # noqa: B006
        related: Annotated[list[str], Query(description="related resource ids")] = [],  # noqa: B006
        flow: str | None = None,
        deployment: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 200,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """`POST /events/filter`, with the filter as query parameters."""
        body = EventFilterIn.model_validate(
            {"event": event, "resource": resource, "related": related, "flow": flow,
             "deployment": deployment, "since": since, "until": until, "limit": limit,
             "cursor": cursor}
        )  # fmt: skip
        return _page(db, body)

    # -- automations ----------------------------------------------------------------------------
    @api.post("/automations", status_code=201)
    def create_automation(body: AutomationCore) -> dict[str, Any]:
        with db.write() as conn:
            _check_references(conn, body)
            return store_automations.create(conn, body.model_dump(mode="json"))

    @api.get("/automations")
    def list_automations(
        name: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> list[dict[str, Any]]:
        with db.read() as conn:
            return store_automations.list_automations(conn, name, limit, offset)

    @api.get("/automations/{automation_id}", responses=NOT_FOUND)
    def read_automation(automation_id: AutomationRef) -> dict[str, Any]:
        with db.read() as conn:
            return store_automations.read(conn, automation_id)

    @api.put("/automations/{automation_id}", responses=NOT_FOUND)
    def replace_automation(automation_id: AutomationRef, body: AutomationCore) -> dict[str, Any]:
        with db.write() as conn:
            _check_references(conn, body)
            return store_automations.replace(conn, automation_id, body.model_dump(mode="json"))

    @api.patch("/automations/{automation_id}", responses=NOT_FOUND)
    def enable_automation(automation_id: AutomationRef, body: EnabledIn) -> dict[str, Any]:
        """Enable (it watches the stream from now on) or disable an automation."""
        with db.write() as conn:
            return store_automations.set_enabled(conn, automation_id, body.enabled)

    @api.delete("/automations/{automation_id}", responses=NOT_FOUND)
    def delete_automation(automation_id: AutomationRef) -> dict[str, Any]:
        with db.write() as conn:
            return store_automations.delete(conn, automation_id)

    return api


def _page(db: SqlDatabase, body: EventFilterIn) -> dict[str, Any]:
    after = None
    if body.cursor is not None:
        try:
            after = event_stream.Cursor.parse(body.cursor)
        except ValueError as exc:
            raise Refused([(("body", "cursor"), str(exc))]) from None
    related = list(body.related)
    with db.read() as conn:
        if body.flow is not None:
            related.append(f"cadenza.flow.{body.flow}")
        if body.deployment is not None:
            deployment = store_deployments.read_deployment(conn, body.deployment)
            related.append(f"cadenza.deployment.{deployment['id']}")
        where = event_stream.EventFilter(
            prefixes=body.event, resources=body.resource, related=related,
            since=_epoch("since", body.since), until=_epoch("until", body.until),
        )  # fmt: skip
        page, cursor = event_stream.read(conn, where, body.limit, after=after)
    return {"events": [e.event for e in page], "cursor": str(cursor)}


def _epoch(name: str, value: float | str | None) -> float | None:
    return value if isinstance(value, float) else epoch(name, value)


def _check_references(conn: sa.Connection, body: AutomationCore) -> None:
    """Refuse (422) actions that name a block or a deployment this server does not have."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for index, action in enumerate(body.actions):
        where = ("body", "actions", index)
        block_id = getattr(action, "block_document_id", None)
        if block_id is not None and not _block_exists(conn, block_id):
            problems.append(((*where, "block_document_id"), "no block with this id is saved"))
        deployment_id: Ref | None = getattr(action, "deployment_id", None)
        if deployment_id is not None:
            try:
                store_deployments.read_deployment(conn, deployment_id)
            except LookupError:
                problems.append(((*where, "deployment_id"), "no deployment with this id"))
    if problems:
        raise Refused(problems)


def _block_exists(conn: sa.Connection, block_id: str) -> bool:
    return conn.execute(sa.select(blocks.c.id).where(blocks.c.id == block_id)).first() is not None


__all__ = ["MAX_EVENTS", "EventFilterIn", "router"]
