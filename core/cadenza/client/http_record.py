"""`HttpRecord`: what the client of `cadenza.client.orchestration` reads and writes when
``CADENZA_API_URL`` names a server — the same methods and answers as `EmbeddedRecord`, over
the server's routes (``POST /api/flow_runs/filter`` and the others of
`cadenza.server.filter_routes`, which run the embedded record's very read functions).
"""

from __future__ import annotations

import uuid
from typing import Any

from cadenza.client.errors import ApiError, NotFound
from cadenza.client.http import ApiClient
from cadenza.client.paths import segment
from cadenza.exceptions import ObjectNotFound
from cadenza.store.run_filters import FilterError


def _page(page: dict[str, Any]) -> dict[str, Any]:
    return {"sort": page.get("sort"), "limit": page.get("limit"),
            "offset": page.get("offset") or 0}  # fmt: skip


class HttpRecord:
    """The server at ``api.url``."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.where = f"the server at {api.url}"

    def close(self) -> None:
        self.api.close()

    def _filter(self, path: str, body: dict[str, Any]) -> Any:
        try:
            return self.api._json("POST", path, json=body)
        except ApiError as exc:
            if exc.status == 422 and exc.errors:  # the store's FilterError, as the server said
                loc = [str(part) for part in exc.errors[0]["loc"][1:]]
                raise FilterError(loc, str(exc.errors[0].get("msg"))) from None
            raise

    # -- runs and logs --------------------------------------------------------------------------
    def read_flow_runs(self, body: dict[str, Any], **page: Any) -> list[dict[str, Any]]:
        return self._filter("/flow_runs/filter", {**body, **_page(page)})  # type: ignore[no-any-return]  # the API answers untyped JSON

    def count_flow_runs(self, body: dict[str, Any]) -> int:
        return int(self._filter("/flow_runs/count", body))

    def read_task_runs(self, body: dict[str, Any], **page: Any) -> list[dict[str, Any]]:
        return self._filter("/task_runs/filter", {**body, **_page(page)})  # type: ignore[no-any-return]  # the API answers untyped JSON

    def read_logs(self, log_filter: Any, **page: Any) -> list[dict[str, Any]]:
        return self._filter("/logs/filter", {"logs": log_filter, **_page(page)})  # type: ignore[no-any-return]  # the API answers untyped JSON

    def set_state(
        self, kind: str, run_id: str, state: dict[str, Any], force: bool
    ) -> dict[str, Any]:
        body = {"transition_id": str(uuid.uuid4()), "state": state, "force": force}
        path = f"/{kind}_runs/{segment(run_id)}/set_state"
        return self.api._json("POST", path, json=body)  # type: ignore[no-any-return]  # the API answers untyped JSON

    def delete_flow_run(self, run_id: str) -> bool:
        try:
            self.api.delete_flow_run(run_id, force=True)
        except NotFound:
            return False
        return True

    # -- deployments and work pools -------------------------------------------------------------
    def read_deployment(self, ref: str) -> dict[str, Any]:
        try:
            if "/" in ref:
                return self.api.read_deployment_by_name(ref)  # type: ignore[no-any-return]  # the API answers untyped JSON
            return self.api.read_deployment(ref)  # type: ignore[no-any-return]  # the API answers untyped JSON
        except NotFound as exc:
            raise ObjectNotFound(exc.detail) from None

    def create_flow_run_from_deployment(self, deployment_id: str, **body: Any) -> dict[str, Any]:
        try:
            return self.api.create_flow_run_from_deployment(deployment_id, **body)  # type: ignore[no-any-return]  # the API answers untyped JSON
        except NotFound as exc:
            raise ObjectNotFound(exc.detail) from None

    def read_work_pool(self, name: str) -> dict[str, Any]:
        try:
            return self.api.read_work_pool(name)  # type: ignore[no-any-return]  # the API answers untyped JSON
        except NotFound as exc:
            raise ObjectNotFound(exc.detail) from None

    # -- variables ------------------------------------------------------------------------------
    def read_variable(self, name: str) -> dict[str, Any] | None:
        try:
            return self.api.get_variable(name)  # type: ignore[no-any-return]  # the API answers untyped JSON
        except NotFound:
            return None

    def read_variables(self, limit: int | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while limit is None or len(out) < limit:
            page = self.api.list_variables(limit=1000, offset=len(out))
            out.extend(page)
            if len(page) < 1000:
                break
        return out if limit is None else out[:limit]

    def set_variable(
        self, name: str, value: Any, tags: list[str] | None, overwrite: bool
    ) -> dict[str, Any]:
        try:
            return self.api.set_variable(name, value, tags, overwrite)  # type: ignore[no-any-return]  # the API answers untyped JSON
        except ApiError as exc:
            if exc.status == 409:
                raise ValueError(exc.detail) from None
            raise

    def delete_variable(self, name: str) -> bool:
        try:
            self.api.delete_variable(name)
        except NotFound:
            return False
        return True

    # -- blocks and artifacts -------------------------------------------------------------------
    def read_block(self, type_slug: str, name: str, include_secrets: bool) -> dict[str, Any]:
        try:
            return self.api.get_block(type_slug, name, include_secrets=include_secrets)  # type: ignore[no-any-return]  # the API answers untyped JSON
        except NotFound as exc:
            raise ObjectNotFound(exc.detail) from None

    def create_artifact(self, row: dict[str, Any]) -> dict[str, Any]:
        self.api.create_artifact(row)
        return row

    def read_artifacts(self, artifact_filter: Any, **page: Any) -> list[dict[str, Any]]:
        path = "/artifacts/latest/filter" if page.pop("latest", False) else "/artifacts/filter"
        return self._filter(path, {"artifacts": artifact_filter, **_page(page)})  # type: ignore[no-any-return]  # the API answers untyped JSON


__all__ = ["HttpRecord"]
