"""The API's routes of the run record — health and version, flow and task runs, their logs and
batches, blocks, variables, artifacts and cache entries — as methods of both HTTP clients.

`RecordRoutes` is a base of `cadenza.client.http.ApiClient` and `AsyncApiClient`: each method
returns ``self._json(...)``, the decoded answer (an awaitable of it from the async client). The
routes are listed in docs/reference/http-api.md.
"""

from __future__ import annotations

from typing import Any

from cadenza.client.paths import segment


class RecordRoutes:
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def health(self) -> Any:
        return self._json("GET", "/health")

    def version(self, retry: bool = True) -> Any:
        return self._json("GET", "/version", retry=retry)

    # runs
    # A body may be given already encoded as JSON (bytes), as the HTTP backend sends them.
    # `replayed`: the request comes from the client's journal (the server counts such requests).
    def create_flow_run(
        self, row: dict[str, Any] | bytes, retry: bool = True, replayed: bool = False
    ) -> Any:
        return self._json("POST", "/flow_runs", **_body(row), params=_replayed(replayed),
                          retry=retry)  # fmt: skip

    def set_state(
        self, run_id: str, body: dict[str, Any] | bytes, retry: bool = True, replayed: bool = False
    ) -> Any:
        path = f"/flow_runs/{run_id}/set_state"
        return self._json("POST", path, **_body(body), params=_replayed(replayed), retry=retry)

    def heartbeat(self, flow_run_ids: list[str], lease_seconds: float, retry: bool = True) -> Any:
        """Renew the leases of these flow runs: ``{"renewed": [...], "final": [...]}``."""
        body = {"flow_run_ids": flow_run_ids, "lease_seconds": lease_seconds}
        return self._json("POST", "/heartbeats", json=body, retry=retry)

    def batch(
        self,
        body: dict[str, Any] | bytes,
        retry: bool = True,
        lease_seconds: float | None = None,
        replayed: bool = False,
    ) -> Any:
        """Record a batch. `lease_seconds`: the sender runs the batch's flow runs, and the
        batch renews their leases as a heartbeat would."""
        params: dict[str, Any] = {**(_replayed(replayed) or {})}
        if lease_seconds is not None:
            params["lease_seconds"] = lease_seconds
        return self._json("POST", "/batch", **_body(body), params=params or None, retry=retry)

    def list_flow_runs(
        self,
        limit: int | None = None,
        offset: int | None = None,
        state: str | None = None,
        flow_name: str | None = None,
        tag: str | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
        deployment: str | None = None,
    ) -> Any:
        params = {"limit": limit, "offset": offset, "state": state, "flow_name": flow_name,
                  "tag": tag, "since": since, "until": until,
                  "deployment": deployment}  # fmt: skip
        return self._json("GET", "/flow_runs", params=params)

    def get_flow_run(self, ref: str) -> Any:
        """One run by id, unique prefix or `latest` (NotFound otherwise), bounded: its own
        states, first subflow runs and ``counts``; page its task runs, logs and subflow runs
        with the methods below (`cadenza.client.pages` reads a whole run)."""
        return self._json("GET", f"/flow_runs/{segment(ref)}")

    def get_task_runs_page(
        self, run_id: str, limit: int | None = None, offset: int | None = None
    ) -> Any:
        """Task runs of a flow run by creation, each with its states. A page may end before
        `limit` (long messages): read on until an empty page."""
        params = {"limit": limit, "offset": offset}
        return self._json("GET", f"/flow_runs/{run_id}/task_runs", params=params)

    def get_logs(
        self,
        run_id: str,
        limit: int | None = None,
        offset: int | None = None,
        after: int | None = None,
    ) -> Any:
        """One page of a flow run's log lines in arrival order; `after` a log id for those
        that came after it. A page may end before `limit`: read on until an empty page."""
        params = {"limit": limit, "offset": offset, "after": after}
        return self._json("GET", f"/flow_runs/{run_id}/logs", params=params)

    def get_subflow_runs_page(
        self, run_id: str, limit: int | None = None, offset: int | None = None
    ) -> Any:
        params = {"limit": limit, "offset": offset}
        return self._json("GET", f"/flow_runs/{run_id}/subflow_runs", params=params)

    def list_flows(self) -> Any:
        return self._json("GET", "/flows")

    def list_task_runs(self, limit: int | None = None, offset: int | None = None,
                       **filters: str | None) -> Any:  # fmt: skip
        """Filters: ``flow_run_id``, ``task_name``, ``state``."""
        return self._json("GET", "/task_runs", params={"limit": limit, "offset": offset,
                                                        **filters})  # fmt: skip

    def get_task_run(self, task_run_id: str) -> Any:
        return self._json("GET", f"/task_runs/{task_run_id}")

    # blocks (data in the open form of cadenza.blocks.sealing)
    def list_blocks(self, type_slug: str | None = None) -> Any:
        return self._json("GET", "/blocks", params={"type_slug": type_slug})

    def get_block(self, type_slug: str, name: str, include_secrets: bool = False) -> Any:
        params = {"include_secrets": "true" if include_secrets else "false"}
        return self._json("GET", f"/blocks/{type_slug}/{name}", params=params)

    def put_block(
        self, type_slug: str, name: str, data: dict, schema_checksum: str, overwrite: bool = False
    ) -> Any:
        body = {"data": data, "schema_checksum": schema_checksum, "overwrite": overwrite}
        return self._json("PUT", f"/blocks/{type_slug}/{name}", json=body)

    def delete_block(self, type_slug: str, name: str) -> Any:
        return self._json("DELETE", f"/blocks/{type_slug}/{name}")

    # variables
    def list_variables(
        self, limit: int | None = None, offset: int | None = None, tag: str | None = None
    ) -> Any:
        return self._json("GET", "/variables", params={"limit": limit, "offset": offset,
                                                        "tag": tag})  # fmt: skip

    def get_variable(self, name: str) -> Any:
        return self._json("GET", f"/variables/{name}")

    def set_variable(
        self, name: str, value: Any, tags: list[str] | None = None, overwrite: bool = False
    ) -> Any:
        body = {"value": value, "tags": tags or [], "overwrite": overwrite}
        return self._json("PUT", f"/variables/{name}", json=body)

    def delete_variable(self, name: str) -> Any:
        return self._json("DELETE", f"/variables/{name}")

    # artifacts and cache entries
    def create_artifact(self, row: dict[str, Any]) -> Any:
        return self._json("POST", "/artifacts", json=row)

    def list_artifacts(self, limit: int | None = None, offset: int | None = None,
                       **filters: str | None) -> Any:  # fmt: skip
        return self._json("GET", "/artifacts", params={"limit": limit, "offset": offset,
                                                        **filters})  # fmt: skip

    def get_artifact(self, artifact_id: str) -> Any:
        return self._json("GET", f"/artifacts/{artifact_id}")

    def get_cache_entry(self, key: str) -> Any:
        return self._json("GET", "/cache_entries", params={"key": key})


def _replayed(replayed: bool) -> dict[str, Any] | None:
    return {"replayed": "true"} if replayed else None


def _body(body: dict[str, Any] | bytes) -> dict[str, Any]:
    """The request keyword for a body: encoded JSON as ``content``, anything else as ``json``."""
    return {"content": body} if isinstance(body, bytes) else {"json": body}


__all__ = ["RecordRoutes"]
