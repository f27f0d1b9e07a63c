"""Saved views (docs/reference/http-api.md): named filters of a dashboard page, kept on the server
so that every user of the dashboard and every script sees the same ones, over
`cadenza.store.saved_views`.

``GET /saved_views`` lists them (``?page=runs``), ``POST /saved_views`` saves one (409 if the
name is taken), ``GET|PUT|DELETE /saved_views/{id}`` read, change (rename, new filters,
``is_default: true`` makes it its page's default and clears the previous one) and delete one.

A view's ``query`` holds only what the runs list takes, each with its type (`RunsQuery`); an
unknown key or a wrong type is a 422 naming the field (``body.query.<field>``). Names are 1 to
200 characters of storable text: no control character, no lone surrogate, not only spaces.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator

from cadenza.server.errors import CONFLICT, NOT_FOUND, Refused
from cadenza.server.query_params import MAX_QUERY_TEXT, moment, unstorable
from cadenza.server.run_routes import VALID_STATE_TYPES
from cadenza.server.store import Store
from cadenza.store import saved_views

MAX_NAME = 200
MAX_LIST = 50  # states or tags in one view
PAGES = ("runs",)
RANGES = ("1h", "24h", "7d", "30d", "all")
_STATES = " ".join(VALID_STATE_TYPES)

Text = Annotated[str, Field(max_length=MAX_QUERY_TEXT)]
ViewId = Annotated[str, Path(max_length=200)]


def _storable(value: str) -> str:
    if unstorable(value):
        raise ValueError("must not contain NUL or lone surrogates")
    return value


class RunsQuery(BaseModel):
    """The runs list's filters (`GET /flow_runs/page`'s parameters, and the dashboard's relative
    ``range``), as a saved view keeps them. Absent means "any"."""

    model_config = ConfigDict(extra="forbid", strict=True)

    state: list[Text] = Field(default_factory=list, max_length=MAX_LIST)
    flow_name: Text | None = None
    deployment: Text | None = None
    tag: list[Text] = Field(default_factory=list, max_length=MAX_LIST)
    q: Text | None = None
    sort: Literal["created_desc", "created_asc"] | None = None
    range: Literal["1h", "24h", "7d", "30d", "all"] | None = None
    since: Text | float | None = None
    until: Text | float | None = None

    @field_validator("state")
    @classmethod
    def _states(cls, values: list[str]) -> list[str]:
        normal = [v.strip().upper() for v in values]
        for value in normal:
            if value not in VALID_STATE_TYPES:
                raise ValueError("unknown state type; expected any of " + _STATES)
        return list(dict.fromkeys(normal))

    @field_validator("flow_name", "deployment", "q")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _storable(value)

    @field_validator("tag")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        return [_storable(v) for v in values]

    @field_validator("since", "until")
    @classmethod
    def _time(cls, value: str | float | None) -> str | float | None:
        try:
            moment("time", None if value is None else str(value))
        except Refused:
            raise ValueError("must be epoch seconds or an ISO 8601 time (years 1-9999)") from None
        return value

    def stored(self) -> dict[str, Any]:
        """The fields that filter (no empty list, no null), as the record keeps them."""
        return {k: v for k, v in self.model_dump().items() if v is not None and v != []}


def _name(value: str) -> str:
    _storable(value)
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("must not contain control characters")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_name)]


class SavedViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    page: Literal["runs"] = "runs"
    query: RunsQuery = Field(default_factory=RunsQuery)
    is_default: StrictBool = False


class SavedViewChange(BaseModel):
    """What to change; what is absent stays."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    query: RunsQuery | None = None
    is_default: StrictBool | None = None


def router(store: Store) -> APIRouter:
    api = APIRouter()

    def known(view_id: str) -> str:
        if unstorable(view_id):  # no stored id holds one: answer as for any unknown id
            raise LookupError(f"no saved view with id {view_id.encode('utf-8', 'replace')!r}")
        return view_id

    @api.get("/saved_views")
    def list_saved_views(
        page: Annotated[Literal["runs"] | None, Query(description="only this page's views")] = None,
    ) -> list[dict[str, Any]]:
        """Saved views by name; the page's default has ``is_default: true``."""
        with store.read() as conn:
            return saved_views.list_views(conn, page)

    @api.post("/saved_views", status_code=201, responses=CONFLICT)
    def create_saved_view(body: SavedViewIn) -> dict[str, Any]:
        """Save a view; with ``is_default: true`` it replaces the page's default. 409 if the
        name is taken."""
        with store.write() as conn:
            return saved_views.create(
                conn, body.name, body.page, body.query.stored(), is_default=body.is_default
            )

    @api.get("/saved_views/{view_id}", responses=NOT_FOUND)
    def read_saved_view(view_id: ViewId) -> dict[str, Any]:
        with store.read() as conn:
            return saved_views.read(conn, known(view_id))

    @api.put("/saved_views/{view_id}", responses={**NOT_FOUND, **CONFLICT})
    def change_saved_view(view_id: ViewId, body: SavedViewChange) -> dict[str, Any]:
        """Rename (409 if another view has the name), replace the filters, or make the view its
        page's default (``is_default: true``, clearing the previous default in the same
        transaction) or not."""
        query = None if body.query is None else body.query.stored()
        with store.write() as conn:
            return saved_views.update(
                conn, known(view_id), name=body.name, query=query, is_default=body.is_default
            )

    @api.delete("/saved_views/{view_id}", responses=NOT_FOUND)
    def delete_saved_view(view_id: ViewId) -> dict[str, Any]:
        """Delete a view; returns it as it was."""
        with store.write() as conn:
            return saved_views.delete(conn, known(view_id))

    return api


__all__ = ["MAX_NAME", "PAGES", "RANGES", "RunsQuery", "SavedViewChange", "SavedViewIn", "router"]
