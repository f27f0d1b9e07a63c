"""The dashboard's read routes (and those describing the server), as methods of both HTTP
clients (a base of `cadenza.client.http.ApiClient` and `AsyncApiClient`): each returns
``self._json(...)``, the decoded answer (an awaitable of it from the async client). See
docs/reference/http-api.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cadenza.client.paths import segment


class UiRoutes:
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def read_flow_runs_page(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        states: Sequence[str] = (),
        flow_name: str | None = None,
        deployment: str | None = None,
        tags: Sequence[str] = (),
        since: str | float | None = None,
        until: str | float | None = None,
        q: str | None = None,
        sort: str | None = None,
    ) -> Any:
        """One keyset page of flow runs (`GET /flow_runs/page`): ``{"items", "next_cursor",
        "total", "total_capped"}``; pass ``cursor=answer["next_cursor"]`` for the next."""
        params = {
            "limit": limit,
            "cursor": cursor,
            "state": list(states),
            "flow_name": flow_name,
            "deployment": deployment,
            "tag": list(tags),
            "since": since,
            "until": until,
            "q": q,
            "sort": sort,
        }
        return self._json("GET", "/flow_runs/page", params=params)

    def read_flow_run_history(
        self,
        *,
        since: str | float | None = None,
        until: str | float | None = None,
        buckets: int | None = None,
        states: Sequence[str] = (),
        flow_name: str | None = None,
        deployment: str | None = None,
        tags: Sequence[str] = (),
        q: str | None = None,
    ) -> Any:
        """Flow runs over time by state (`GET /flow_runs/history`; default: the last 24 h)."""
        params = {
            "since": since,
            "until": until,
            "buckets": buckets,
            "state": list(states),
            "flow_name": flow_name,
            "deployment": deployment,
            "tag": list(tags),
            "q": q,
        }
        return self._json("GET", "/flow_runs/history", params=params)

    def read_flow_run_timeline(self, ref: str) -> Any:
        """A flow run's task runs as columns in lanes (`GET /flow_runs/{ref}/timeline`)."""
        return self._json("GET", f"/flow_runs/{segment(ref)}/timeline")

    def read_flow_run_graph(self, ref: str, limit: int | None = None) -> Any:
        """A flow run's task runs and which fed which (`GET /flow_runs/{ref}/graph`)."""
        params = {} if limit is None else {"limit": limit}
        return self._json("GET", f"/flow_runs/{segment(ref)}/graph", params=params)

    def read_flow_run_logs_window(
        self,
        ref: str,
        *,
        limit: int | None = None,
        after: int | None = None,
        before: int | None = None,
        level: int | None = None,
        q: str | None = None,
        task_run_id: str | None = None,
    ) -> Any:
        """A window of a flow run's log lines in arrival order (`GET /flow_runs/{ref}/logs`):
        after or just before a log id, of `level` or above, holding `q`, of one task run."""
        params = {
            "limit": limit,
            "after": after,
            "before": before,
            "level": level,
            "q": q,
            "task_run_id": task_run_id,
        }
        return self._json("GET", f"/flow_runs/{segment(ref)}/logs", params=params)

    def search_logs(
        self,
        *,
        q: str | None = None,
        level: int | None = None,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
        logger: str | None = None,
        flow_name: str | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
        limit: int | None = None,
        before: int | None = None,
    ) -> Any:
        """Log lines of every run, newest first (`GET /logs`): ``{"items", "next_cursor"}``;
        pass ``before=answer["next_cursor"]`` for the next page."""
        params = {
            "q": q,
            "level": level,
            "flow_run_id": flow_run_id,
            "task_run_id": task_run_id,
            "logger": logger,
            "flow_name": flow_name,
            "since": since,
            "until": until,
            "limit": limit,
            "before": before,
        }
        return self._json("GET", "/logs", params=params)

    def read_block_types(self) -> Any:
        """Every block type the server knows, with its JSON schema, secret fields, description
        and the plugin and distribution it comes from (`GET /block_types`)."""
        return self._json("GET", "/block_types")

    def read_block_type(self, slug: str) -> Any:
        """One block type (`GET /block_types/{slug}`); `NotFound` if the server has none."""
        return self._json("GET", f"/block_types/{segment(slug)}")

    def read_plugins(self) -> Any:
        """The server's plugins and collections (`GET /plugins`): ``{"plugins": [{"name",
        "version", "distribution", "entry_point", "hooks", "registered", "status", "error",
        "note"}], "conflicts": [...]}``."""
        return self._json("GET", "/plugins")

    def read_server_settings(self) -> Any:
        """The settings in effect in the server's process, secrets masked (`GET /settings`):
        ``[{"name", "value", "source", "default", "type", "secret", "description", "error"}]``."""
        return self._json("GET", "/settings")

    def bulk_flow_runs(
        self,
        action: str,
        *,
        filter: dict[str, Any] | None = None,
        ids: Sequence[str] | None = None,
        dry_run: bool = False,
        reason: str | None = None,
    ) -> Any:
        """Cancel, delete or retry (`action`) the flow runs a runs-list `filter` matches
        (``state``, ``flow_name``, ``deployment``, ``tag``, ``since``, ``until``, ``q``), or
        those of `ids` — exactly one of the two (`POST /flow_runs/bulk`): ``{"action",
        "dry_run", "matched", "capped", "counts", "results": [{"id", "name", "outcome",
        "reason"}]}``."""
        body: dict[str, Any] = {"action": action, "dry_run": dry_run}
        if filter is not None:
            body["filter"] = filter
        if ids is not None:
            body["ids"] = list(ids)
        if reason is not None:
            body["reason"] = reason
        return self._json("POST", "/flow_runs/bulk", json=body)

    # -- saved views (named filters of a dashboard page; docs/reference/http-api.md) ---------------
    def read_saved_views(self, page: str | None = None) -> Any:
        """Saved views by name (`GET /saved_views`), only `page`'s if given; the page's default
        has ``is_default: true``."""
        return self._json("GET", "/saved_views", params={"page": page})

    def create_saved_view(
        self, name: str, query: Mapping[str, Any] | None = None, *, page: str = "runs",
        is_default: bool = False,
    ) -> Any:  # fmt: skip
        """Save a view of `page` with the runs list's filters `query` (`POST /saved_views`);
        `ApiError` with status 409 if the name is taken."""
        body = {"name": name, "page": page, "query": dict(query or {}), "is_default": is_default}
        return self._json("POST", "/saved_views", json=body)

    def read_saved_view(self, view_id: str) -> Any:
        """One saved view (`GET /saved_views/{id}`)."""
        return self._json("GET", f"/saved_views/{segment(view_id)}")

    def update_saved_view(
        self, view_id: str, *, name: str | None = None, query: Mapping[str, Any] | None = None,
        is_default: bool | None = None,
    ) -> Any:  # fmt: skip
        """Rename, replace the filters, or make the view its page's default (clearing the
        previous one) or not (`PUT /saved_views/{id}`); what is None stays."""
        changes = {"name": name, "query": None if query is None else dict(query),
                   "is_default": is_default}  # fmt: skip
        body = {k: v for k, v in changes.items() if v is not None}
        return self._json("PUT", f"/saved_views/{segment(view_id)}", json=body)

    def delete_saved_view(self, view_id: str) -> Any:
        """Delete a saved view (`DELETE /saved_views/{id}`); the view as it was."""
        return self._json("DELETE", f"/saved_views/{segment(view_id)}")


__all__ = ["UiRoutes"]
