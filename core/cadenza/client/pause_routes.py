"""The API's routes of paused flow runs (resuming, flow-run inputs), as methods of both HTTP
clients (a base of `cadenza.client.http.ApiClient` and `AsyncApiClient`); Prefect's client
methods of the same names. The routes are in docs/reference/http-api.md.

Bodies are sent as JSON with every non-ASCII character escaped, so that text the server must
refuse by name (a lone surrogate in an input) reaches it instead of failing to encode here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cadenza.client.paths import segment


def _json_body(value: Any) -> dict[str, Any]:
    data = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return {"content": data.encode()}  # sent as application/json


class PauseRoutes:
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def resume_flow_run(self, flow_run_id: str, run_input: dict[str, Any] | None = None) -> Any:
        """Resume a paused flow run (`POST /flow_runs/{id}/resume`): ``{"id", "state",
        "input_key"}``. 409 when it is not paused or its pause timed out, 422 for bad input."""
        path = f"/flow_runs/{segment(str(flow_run_id))}/resume"
        return self._json("POST", path, **_json_body({"run_input": run_input}))

    def create_flow_run_input(
        self, flow_run_id: str, key: str, value: Any, sender: str | None = None
    ) -> Any:
        """Store input `key` of a flow run (409 if it has one)."""
        body = {"key": key, "value": value, "sender": sender}
        return self._json(
            "POST", f"/flow_runs/{segment(str(flow_run_id))}/input", **_json_body(body)
        )

    def read_flow_run_input(self, flow_run_id: str, key: str) -> Any:
        """Input `key` of a flow run: ``{"key", "value", "sender", "created", ...}`` (404 if
        it has none)."""
        return self._json("GET", f"/flow_runs/{segment(str(flow_run_id))}/input/{segment(key)}")

    def delete_flow_run_input(self, flow_run_id: str, key: str) -> Any:
        return self._json("DELETE", f"/flow_runs/{segment(str(flow_run_id))}/input/{segment(key)}")

    def filter_flow_run_input(
        self,
        flow_run_id: str,
        key_prefix: str,
        limit: int = 1,
        exclude_keys: Iterable[str] = (),
    ) -> Any:
        """The run's inputs whose key starts with `key_prefix`, oldest first."""
        body = {"prefix": key_prefix, "limit": limit, "exclude_keys": list(exclude_keys)}
        path = f"/flow_runs/{segment(str(flow_run_id))}/input/filter"
        return self._json("POST", path, **_json_body(body))


__all__ = ["PauseRoutes"]
