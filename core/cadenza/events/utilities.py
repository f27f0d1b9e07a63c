"""`emit_event`: record a custom event, which automations can react to (Prefect 3's function).

The event goes where the runs go: into the embedded record's ``events`` table, or to the server
(``CADENZA_API_URL``) with the run's other records — while the server cannot be reached, into
the process's journal, replayed in order later, so an event is never dropped in silence; one the
server refuses is set aside as a dead letter with its reason (`cadenza db doctor`). Inside a
flow or task run the event's related resources gain the run, its flow and its tags, as
Prefect's do.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from cadenza.backends import get_backend
from cadenza.context import _flow_run_ctx, _task_run_ctx
from cadenza.events.schemas.events import (
    ID,
    MAX_EVENT_BYTES,
    MAX_RELATED,
    NAME,
    ROLE,
    Event,
    RelatedResource,
)
from cadenza.exceptions import EventTooLarge

logger = logging.getLogger("cadenza.events")

TIGHT_TIMING = timedelta(minutes=5)
"""`follows` is kept only for an event this close in time (as Prefect does)."""


def emit_event(
    event: str,
    resource: dict[str, str],
    occurred: datetime | None = None,
    related: list[dict[str, str]] | list[RelatedResource] | None = None,
    payload: dict[str, Any] | None = None,
    id: UUID | None = None,
    follows: Event | None = None,
    **kwargs: Any,
) -> Event | None:
    """Record that `event` happened to `resource`; return the `Event` recorded.

    As Prefect's: an event that is not valid (a resource without ``cadenza.resource.id`` or
    ``prefect.resource.id``, a related resource without a role, a label that is not text, ...)
    is logged as an error on the ``cadenza.events`` logger and None is returned; an event
    larger than `MAX_EVENT_BYTES` as JSON raises `EventTooLarge`. Other keyword arguments are
    passed to `Event` (unknown ones are ignored, as Prefect's are).
    """
    fields: dict[str, Any] = {"event": event, "resource": resource, **kwargs}
    fields["occurred"] = occurred if occurred is not None else datetime.now(timezone.utc)
    if related is not None:
        fields["related"] = related
    if payload is not None:
        fields["payload"] = payload
    if id is not None:
        fields["id"] = id
    try:
        made = Event(**fields)
    except ValidationError as exc:
        logger.error("Error emitting event %r: %s", event, _problems(exc))
        return None
    if follows is not None and -TIGHT_TIMING < made.occurred - follows.occurred < TIGHT_TIMING:
        made.follows = follows.id
    _attach_run(made)
    size = made.size_bytes
    if size > MAX_EVENT_BYTES:
        raise EventTooLarge(size, MAX_EVENT_BYTES)
    flow_ctx = _flow_run_ctx.get()
    if flow_ctx is not None and flow_ctx.backend is not None:
        flow_ctx.backend.record_event(made.record())  # written with the run's records
    else:
        backend = get_backend()
        backend.record_event(made.record())
        if _task_run_ctx.get() is None:
            backend.flush()  # outside any run nothing else flushes
    return made


def _problems(exc: ValidationError) -> str:
    """The validation errors in one line, each with where it is (never the value)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in exc.errors()[:5]
    )


def _related(kind: str, ident: str, name: str | None) -> RelatedResource:
    labels = {ID: f"cadenza.{kind}.{ident}", ROLE: kind}
    if name is not None:
        labels[NAME] = name
    return RelatedResource(labels)


def run_resources() -> list[RelatedResource]:
    """The run in progress as related resources: its flow run, task run, flow and tags (none
    outside a run)."""
    flow_ctx = _flow_run_ctx.get()
    task_ctx = _task_run_ctx.get()
    flow_run = flow_ctx.flow_run if flow_ctx is not None else None
    task_run = task_ctx.task_run if task_ctx is not None else None
    out: list[RelatedResource] = []
    tags: set[str] = set()
    if flow_run is not None:
        out.append(_related("flow-run", flow_run.id, getattr(flow_run, "name", None)))
        tags.update(getattr(flow_run, "tags", None) or ())
    elif task_run is not None and task_run.flow_run_id is not None:
        out.append(_related("flow-run", task_run.flow_run_id, None))
    if task_run is not None:
        out.append(_related("task-run", task_run.id, task_run.name))
        tags.update(task_run.tags or ())
    flow_name = getattr(flow_run, "flow_name", None)
    if flow_name:
        out.append(_related("flow", flow_name, flow_name))
    out.extend(_related("tag", tag, None) for tag in sorted(tags))
    return out


def _attach_run(event: Event) -> None:
    """Add the run in progress to `event`'s related resources: those it does not name already,
    as many as fit under `MAX_RELATED`."""
    present = {r.id for r in event.involved_resources}
    extra = [r for r in run_resources() if r.id not in present]
    room = max(MAX_RELATED - len(event.related), 0)
    event.related.extend(extra[:room])


__all__ = ["TIGHT_TIMING", "emit_event", "run_resources"]
