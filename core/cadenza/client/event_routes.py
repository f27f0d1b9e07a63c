"""The API's event and automation routes, as methods of both HTTP clients.

`EventRoutes` is a base of `cadenza.client.http.ApiClient` and `AsyncApiClient`: each method
returns ``self._json(...)``, the decoded answer (an awaitable of it from the async client). The
routes are listed in docs/reference/http-api.md.
"""

from __future__ import annotations

from typing import Any

from cadenza.client.paths import segment


class EventRoutes:
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    # events
    def emit_events(self, events: list[dict[str, Any]]) -> Any:
        """Record events (`cadenza.events.Event` as JSON: ``model_dump(mode="json")``):
        ``{"stored": n, "duplicates": m}``; an id recorded before is kept once."""
        return self._json("POST", "/events", json=events)

    def read_events(self, **filters: Any) -> Any:
        """A page of the event stream: ``{"events": [...], "cursor": "..."}``.

        `filters`: ``event`` (name prefixes), ``resource``, ``related`` (lists of resource
        ids), ``flow``, ``deployment``, ``since``, ``until``, ``limit``, ``cursor`` (read the
        events after it, oldest first; without it, the newest events, newest first)."""
        body = {k: v for k, v in filters.items() if v is not None}
        return self._json("POST", "/events/filter", json=body)

    # automations
    def create_automation(self, automation: dict[str, Any]) -> Any:
        return self._json("POST", "/automations", json=automation)

    def list_automations(
        self, name: str | None = None, limit: int | None = None, offset: int | None = None
    ) -> Any:
        params = {"name": name, "limit": limit, "offset": offset}
        return self._json("GET", "/automations", params=params)

    def read_automation(self, automation_id: str) -> Any:
        return self._json("GET", f"/automations/{segment(automation_id)}")

    def replace_automation(self, automation_id: str, automation: dict[str, Any]) -> Any:
        return self._json("PUT", f"/automations/{segment(automation_id)}", json=automation)

    def set_automation_enabled(self, automation_id: str, enabled: bool) -> Any:
        body = {"enabled": enabled}
        return self._json("PATCH", f"/automations/{segment(automation_id)}", json=body)

    def delete_automation(self, automation_id: str) -> Any:
        return self._json("DELETE", f"/automations/{segment(automation_id)}")


__all__ = ["EventRoutes"]
