"""Where the runtime modules look up what the run context does not hold: the deployment run in
progress, and a flow run's parent in the record."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cadenza._times import epoch
from cadenza.backends import current_backend
from cadenza.client.remote import remote_or_none
from cadenza.store.local import LocalRecord, local


@dataclass(frozen=True)
class DeploymentRun:
    """The deployment whose run this process executes, and that run (inherited by subflows)."""

    flow_run_id: str
    deployment_id: str
    name: str | None = None
    version: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    job_variables: dict[str, Any] = field(default_factory=dict)
    expected_start_time: float | None = None


current_deployment: contextvars.ContextVar[DeploymentRun | None] = contextvars.ContextVar(
    "cadenza_deployment_run", default=None
)


@contextmanager
def running_deployment(run: dict[str, Any], deployment: dict[str, Any]) -> Iterator[None]:
    """While the block runs, `cadenza.runtime.deployment` describes ``deployment`` and its
    flow run ``run`` (records as the deployments API returns them)."""
    described = DeploymentRun(
        flow_run_id=str(run["id"]), deployment_id=str(deployment["id"]),
        name=deployment.get("name"), version=deployment.get("version"),
        parameters=dict(run.get("parameters") or {}),
        job_variables=dict(run.get("job_variables") or {}),
        # epoch seconds from the embedded record, ISO 8601 from a server's answer
        expected_start_time=epoch(run.get("expected_start_time")),
    )  # fmt: skip
    token = current_deployment.set(described)
    try:
        yield
    finally:
        current_deployment.reset(token)


class _FlowRunRows(LocalRecord):
    """Reads of flow-run rows in the embedded record."""

    def parent(self, run_id: str) -> tuple[bool, str | None]:
        rows = self.query("SELECT parent_flow_run_id FROM flow_runs WHERE id = ?", (run_id,))
        return (True, rows[0][0]) if rows else (False, None)


def parent_flow_run_id(run_id: str) -> tuple[bool, str | None]:
    """Whether the record knows flow run ``run_id``, and its parent flow run's id."""
    backend = current_backend()
    if backend is not None:
        backend.flush()  # runs this process started are readable at once
    remote = remote_or_none()
    if remote is None:
        return local(_FlowRunRows).parent(run_id)
    try:
        found = remote.get_flow_run(run_id)
    except LookupError:
        return False, None
    return True, found.get("parent_flow_run_id")


__all__ = ["DeploymentRun", "current_deployment", "parent_flow_run_id", "running_deployment"]
