"""Events as Prefect 3 models them: `Event`, `ReceivedEvent`, `Resource`, `RelatedResource`.

An event names what happened (``event``), when (``occurred``), the resource it happened to
(``resource``: labels, one of them ``cadenza.resource.id``), other resources involved
(``related``, each with a ``cadenza.resource.role``), and an open ``payload``. Labels written
with Prefect's keys (``prefect.resource.id``, ``prefect.resource.name``,
``prefect.resource.role``, any ``prefect.resource.*``) are taken as cadenza's
(``cadenza.resource.*``), so Prefect code that emits or reads events runs unchanged.

The limits (the same in the client and the server's ``POST /api/events``): an event is at most
`MAX_EVENT_BYTES` as JSON, a resource has at most `MAX_LABELS` labels, an event at most
`MAX_RELATED` related resources; no name, label or payload text may hold NUL, another control
character (payload text: NUL only) or a lone surrogate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, to_jsonable_python

from cadenza.automations.matching import label_key

MAX_EVENT_BYTES = 512 * 1024
"""The largest event, as JSON: a larger one raises `EventTooLarge` (the API refuses it, 422)."""
MAX_LABELS = 500
MAX_RELATED = 100
MAX_NAME = 1024

ID = "cadenza.resource.id"
NAME = "cadenza.resource.name"
ROLE = "cadenza.resource.role"
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BAD_PAYLOAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _text(value: object) -> object:
    if isinstance(value, str) and _BAD_TEXT.search(value):
        raise PydanticCustomError(
            "text_characters",
            "must not contain control characters (such as NUL) or lone surrogates",
        )
    return value


LabelKey = Annotated[str, Field(min_length=1, max_length=1000), BeforeValidator(_text)]
LabelValue = Annotated[str, Field(max_length=10_000), BeforeValidator(_text)]
EventName = Annotated[str, Field(min_length=1, max_length=MAX_NAME), BeforeValidator(_text)]


class Resource(RootModel[dict[LabelKey, LabelValue]]):
    """An observable object the event is about: labels, ``cadenza.resource.id`` among them."""

    @model_validator(mode="before")
    @classmethod
    def _cadenza_keys(cls, data: Any) -> Any:
        if isinstance(data, Resource):
            return data.root
        if not isinstance(data, Mapping):
            return data  # pydantic says it is not a dictionary
        out: dict[Any, Any] = {}
        for key, value in data.items():
            ours = label_key(key) if isinstance(key, str) else key
            if ours in out and out[ours] != value:
                raise PydanticCustomError(
                    "label_twice",
                    "gives the label {label} twice, with different values (once as prefect.*)",
                    {"label": ours},
                )
            out[ours] = value
        if len(out) > MAX_LABELS:
            raise PydanticCustomError(
                "too_many_labels", "a resource has at most {n} labels", {"n": MAX_LABELS}
            )
        return out

    @model_validator(mode="after")
    def _has_id(self) -> Resource:
        if not self.root.get(ID):
            raise PydanticCustomError(
                "resource_id",
                "Resources must include a non-empty cadenza.resource.id label (or Prefect's "
                "prefect.resource.id)",
            )
        return self

    @property
    def id(self) -> str:
        return self.root[ID]

    @property
    def name(self) -> str | None:
        return self.root.get(NAME)

    def __getitem__(self, label: str) -> str:
        return self.root[label_key(label)]

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and label_key(label) in self.root

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]  # a mapping's keys, as Prefect's
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def get(self, label: str, default: str | None = None) -> str | None:
        return self.root.get(label_key(label), default)

    def keys(self) -> Iterator[str]:
        return iter(self.root.keys())

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self.root.items())

    def has_all_labels(self, labels: Mapping[str, str]) -> bool:
        return all(self.get(k) == v for k, v in labels.items())


class RelatedResource(Resource):
    """A resource with a role in the event (``cadenza.resource.role``)."""

    @model_validator(mode="after")
    def _has_role(self) -> RelatedResource:
        if not self.root.get(ROLE):
            raise PydanticCustomError(
                "resource_role",
                "Related resources must include a non-empty cadenza.resource.role label (or "
                "Prefect's prefect.resource.role)",
            )
        return self

    @property
    def role(self) -> str:
        return self.root[ROLE]


def _clean_payload(value: Any) -> None:
    """Refuse NUL and lone surrogates in the payload's text (keys too). Where is not said: the
    payload's keys are the sender's text, and may be secrets."""
    if isinstance(value, str):
        if _BAD_PAYLOAD_TEXT.search(value):
            raise PydanticCustomError(
                "payload_text", "text in the payload must not contain NUL or lone surrogates"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean_payload(key)
            _clean_payload(item)
    elif isinstance(value, list):
        for item in value:
            _clean_payload(item)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Event(BaseModel):
    """What happened to a resource, as the sender saw it (fields as Prefect 3's)."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, allow_inf_nan=False)

    occurred: datetime = Field(default_factory=_now, description="When it happened.")
    event: EventName = Field(description="The name of what happened, e.g. `acme.order.placed`.")
    resource: Resource = Field(description="The resource the event is about.")
    related: Annotated[list[RelatedResource], Field(max_length=MAX_RELATED)] = Field(
        default_factory=list, description="Other resources involved, each with a role."
    )
    payload: dict[str, Any] = Field(default_factory=dict, description="Open-ended data.")
    id: UUID = Field(default_factory=uuid4, description="The sender's id of the event.")
    follows: UUID | None = Field(None, description="The id of an event known to precede it.")

    @field_validator("occurred")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)

    @field_validator("payload")
    @classmethod
    def _json_payload(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            value = to_jsonable_python(value)
        except Exception as exc:  # an object JSON cannot hold
            raise PydanticCustomError(
                "payload_json", "must hold only JSON values: {problem}", {"problem": str(exc)}
            ) from None
        _clean_payload(value)
        return value

    @property
    def size_bytes(self) -> int:
        """The event's size as JSON (what `MAX_EVENT_BYTES` bounds)."""
        return len(self.model_dump_json().encode())

    @property
    def involved_resources(self) -> Sequence[Resource]:
        return [self.resource, *self.related]

    @property
    def resource_in_role(self) -> Mapping[str, RelatedResource]:
        """The first related resource in each role."""
        return {r.role: r for r in reversed(self.related)}

    def find_resource_label(self, label: str) -> str | None:
        """A label of the resource, or (``related:<role>:<label>``) of the first related
        resource in that role."""
        directive, _, related_label = label.rpartition(":")
        directive, _, role = directive.partition(":")
        if directive == "related":
            for related in self.related:
                if related.role == role:
                    return related.get(related_label)
        return self.resource.get(label)

    def record(self) -> dict[str, Any]:
        """The event as the record keeps it (`cadenza.store.events`): ``occurred`` in epoch
        seconds, labels as plain dicts, the id as text."""
        return {
            "id": str(self.id),
            "event": self.event,
            "occurred": self.occurred.timestamp(),
            "resource": dict(self.resource.root),
            "related": [dict(r.root) for r in self.related],
            "payload": self.payload,
        }


class ReceivedEvent(Event):
    """An event as the record holds it: with when it was `received`. Events the record makes
    itself (state changes: ``rs-<n>``) have ids that are not UUIDs."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID | str = Field(default_factory=uuid4)  # type: ignore[assignment]  # see the docstring
    received: datetime = Field(default_factory=_now)


class EventIn(Event):
    """An event sent to the API (``POST /api/events``, a batch's ``events``): as `Event`,
    refusing an event larger than `MAX_EVENT_BYTES`."""

    @model_validator(mode="after")
    def _bounded(self) -> EventIn:
        size = self.size_bytes
        if size > MAX_EVENT_BYTES:
            raise PydanticCustomError(
                "event_too_large",
                "the event is {size} bytes as JSON; at most {limit} are taken",
                {"size": size, "limit": MAX_EVENT_BYTES},
            )
        return self


__all__ = [
    "ID",
    "MAX_EVENT_BYTES",
    "MAX_LABELS",
    "MAX_NAME",
    "MAX_RELATED",
    "NAME",
    "ROLE",
    "Event",
    "EventIn",
    "ReceivedEvent",
    "RelatedResource",
    "Resource",
    "label_key",
]
