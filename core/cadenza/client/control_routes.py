"""The API's run-control routes (cancelling, the recorded states of running flow runs), as
methods of both HTTP clients (a base of `cadenza.client.http.ApiClient` and `AsyncApiClient`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cadenza.client.paths import segment


class ControlRoutes:
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def read_flow_run_states(self, flow_run_ids: Sequence[str], retry: bool = True) -> Any:
        """``{"states": {id: {"type", "name"}}}`` for the runs the server records."""
        body = {"flow_run_ids": list(flow_run_ids)}
        return self._json("POST", "/flow_runs/states", json=body, retry=retry)

    def cancel_flow_run(
        self, flow_run_id: str, reason: str | None = None, force: bool = False
    ) -> Any:
        """Cancel a flow run and its active subflow runs (`POST /flow_runs/{id}/cancel`);
        `force`: Cancelled at once whatever runs them (their process was killed)."""
        path = f"/flow_runs/{segment(flow_run_id)}/cancel"
        return self._json("POST", path, json={"reason": reason, "force": force})

    def retry_flow_run(self, flow_run_id: str) -> Any:
        """Schedule a deployment's Failed, Crashed or Cancelled flow run again, due now
        (`POST /flow_runs/{id}/retry`); 409 for any other run."""
        return self._json("POST", f"/flow_runs/{segment(flow_run_id)}/retry")


__all__ = ["ControlRoutes"]
