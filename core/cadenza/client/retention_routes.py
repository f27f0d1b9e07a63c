"""The API's routes that delete flow runs, as methods of both HTTP clients (a base of
`cadenza.client.http.ApiClient` and `AsyncApiClient`): each returns ``self._json(...)``, the
decoded answer (an awaitable of it from the async client). See docs/reference/http-api.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cadenza.client.paths import segment


class RetentionRoutes:
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def delete_flow_run(self, flow_run_id: str, force: bool = False, results: bool = False) -> Any:
        """Delete a flow run with its subflow runs and everything recorded under them
        (`DELETE /flow_runs/{id}`); `NotFound` for an unknown id, `ApiError` 409 when one of
        them is not in a final state and not `force`. With `results`, the answer's
        ``result_refs`` are the references no remaining row uses."""
        params = {"force": _flag(force), "results": _flag(results)}
        return self._json("DELETE", f"/flow_runs/{segment(flow_run_id)}", params=params)

    def delete_flow_runs(
        self,
        ids: Sequence[str] = (),
        *,
        older_than: str | float | None = None,
        states: Sequence[str] = (),
        flow_name: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        results: bool = False,
        limit: int | None = None,
        after: str | None = None,
    ) -> Any:
        """Delete flow runs by ids and/or filters, at most `limit` top-level runs per call
        (`POST /flow_runs/delete`); call again with ``after=answer["cursor"]`` while the
        answer's ``cursor`` is not None."""
        body: dict[str, Any] = {"ids": list(ids), "states": list(states), "force": force,
                                "dry_run": dry_run, "results": results}  # fmt: skip
        for name, value in (("older_than", older_than), ("flow_name", flow_name),
                            ("limit", limit), ("after", after)):  # fmt: skip
            if value is not None:
                body[name] = value
        return self._json("POST", "/flow_runs/delete", json=body)


def _flag(value: bool) -> str:
    return "true" if value else "false"


__all__ = ["RetentionRoutes"]
