"""Where deployments live: the server (when ``CADENZA_API_URL`` is set) or the embedded record.

`deployments_api()` returns one object with the same methods either way, so `serve`,
`run_deployment`, `deploy` and the CLI are written once:

- `HttpDeploymentsApi` calls the server's routes (its scheduler service creates the runs);
- `cadenza.deployments.local.LocalDeploymentsApi` opens the embedded record with SQLAlchemy
  and calls the very functions the server's routes call (`cadenza.store.deployments`,
  `cadenza.store.scheduling`, `cadenza.store.work_pools`); a `serve` process runs the
  scheduler's rounds itself (`schedule`).

Flow runs come back as dicts with at least ``id``, ``name``, ``state_type``, ``state_name``,
``state_message``, ``deployment_id``, ``parameters``, ``tags``, ``expected_start_time`` and
``parent_flow_run_id``. Times are epoch seconds either way (the server answers ISO 8601
strings; `HttpDeploymentsApi` reads them back with `cadenza._times.epoch_times`).

Importing this module imports neither SQLAlchemy nor httpx: each loads with the API that uses it.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Protocol

from cadenza._times import epoch_times
from cadenza.settings import spec


class DeploymentsApi(Protocol):
    def apply(self, spec: dict[str, Any]) -> dict[str, Any]: ...
    def read(self, ref: str) -> dict[str, Any]: ...
    def list(self, flow_name: str | None = None) -> list[dict[str, Any]]: ...
    def pause(self, ref: str) -> dict[str, Any]: ...
    def resume(self, ref: str) -> dict[str, Any]: ...
    def delete(self, ref: str) -> dict[str, Any]: ...
    def create_flow_run(self, deployment_id: str, **body: Any) -> dict[str, Any]: ...
    def read_flow_run(self, flow_run_id: str) -> dict[str, Any]: ...
    def upcoming_runs(self, deployment_id: str, limit: int = 5) -> list[dict[str, Any]]: ...
    def claim(
        self, claimant: str, deployment_ids: list[str], limit: int, lease_seconds: float
    ) -> dict[str, Any]: ...
    def read_states(self, flow_run_ids: list[str]) -> dict[str, str | None]: ...
    def force_cancel(self, flow_run_id: str, reason: str) -> None: ...
    def schedule(self) -> None: ...
    def close(self) -> None: ...


def deployments_api() -> DeploymentsApi:
    """The API of the record this process reports to (see the module docstring)."""
    if spec.get("CADENZA_API_URL"):
        return HttpDeploymentsApi()
    # lazily: SQLAlchemy loads only for the embedded record (a worker's child never needs it)
    from cadenza.deployments.local import LocalDeploymentsApi

    return LocalDeploymentsApi()


def _epochs(answer: Any) -> dict[str, Any]:
    """A server's answer with its times as epoch seconds, as the embedded record gives them."""
    return dict(epoch_times(answer))


class HttpDeploymentsApi:
    def __init__(self) -> None:
        # lazily: httpx loads only when a server is configured
        from cadenza.client.http import client_from_settings

        self.client = client_from_settings()

    def apply(self, spec: dict[str, Any]) -> dict[str, Any]:
        return _epochs(self.client.apply_deployment(spec))

    def read(self, ref: str) -> dict[str, Any]:
        if "/" in ref:
            return _epochs(self.client.read_deployment_by_name(ref))
        return _epochs(self.client.read_deployment(ref))

    def list(self, flow_name: str | None = None) -> list[dict[str, Any]]:
        return [_epochs(d) for d in self.client.list_deployments(flow_name=flow_name)]

    def pause(self, ref: str) -> dict[str, Any]:
        return _epochs(self.client.pause_deployment(self.read(ref)["id"]))

    def resume(self, ref: str) -> dict[str, Any]:
        return _epochs(self.client.resume_deployment(self.read(ref)["id"]))

    def delete(self, ref: str) -> dict[str, Any]:
        return _epochs(self.client.delete_deployment(self.read(ref)["id"]))

    def create_flow_run(self, deployment_id: str, **body: Any) -> dict[str, Any]:
        return _epochs(self.client.create_flow_run_from_deployment(deployment_id, **body))

    def read_flow_run(self, flow_run_id: str) -> dict[str, Any]:
        run = _epochs(self.client.get_flow_run(flow_run_id))
        state = run.get("state") or {}
        run.update(state_type=state.get("type"), state_name=state.get("name"),
                   state_message=state.get("message"))  # fmt: skip
        return run

    def upcoming_runs(self, deployment_id: str, limit: int = 5) -> list[dict[str, Any]]:
        return [
            _epochs(r) for r in self.client.upcoming_deployment_runs(deployment_id, limit=limit)
        ]

    def claim(
        self, claimant: str, deployment_ids: list[str], limit: int, lease_seconds: float
    ) -> dict[str, Any]:
        return _epochs(
            self.client.claim_deployment_runs(claimant, deployment_ids, limit, lease_seconds)
        )

    def read_states(self, flow_run_ids: list[str]) -> dict[str, str | None]:
        states = self.client.read_flow_run_states(flow_run_ids)["states"]
        return {rid: state.get("type") for rid, state in states.items()}

    def force_cancel(self, flow_run_id: str, reason: str) -> None:
        self.client.cancel_flow_run(flow_run_id, reason, force=True)

    def schedule(self) -> None:
        """Nothing: the server's scheduler service creates the runs."""

    def close(self) -> None:
        self.client.close()


def claimant_name(prefix: str) -> str:
    """A name that tells which process claimed a run: ``prefix@host:pid``."""
    return f"{prefix}@{socket.gethostname()}:{os.getpid()}"  # os.uname: POSIX only


__all__ = [
    "DeploymentsApi",
    "HttpDeploymentsApi",
    "claimant_name",
    "deployments_api",
]
