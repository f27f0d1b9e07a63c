"""The one interface the engine talks to: `Backend`.

The embedded backend records into a local SQLite file; a remote backend (a later addition)
sends the same calls to a coordination server. Run records are the in-memory `FlowRun` /
`TaskRun` objects; `propose` is the only way their state changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cadenza.orchestration import Decision
    from cadenza.runs import FlowRun, TaskRun
    from cadenza.states import State

    Run = FlowRun | TaskRun


class Backend(Protocol):
    def create_flow_run(self, run: FlowRun) -> None:
        """Record a new flow run (before its first state)."""

    def create_task_run(self, run: TaskRun) -> None:
        """Record a new task run (before its first state)."""

    def propose(self, run: Run, state: State, transition_id: str | None = None) -> Decision:
        """Ask the orchestrator to move `run` to `state`.

        On ACCEPT the run's `state` (and its timing fields) are updated and the transition is
        recorded. A `transition_id` already applied to this run is accepted again without being
        applied twice. REJECT / WAIT / ABORT leave the run unchanged.
        """

    def log(
        self,
        flow_run_id: str | None,
        task_run_id: str | None,
        level: int,
        logger: str,
        message: str,
        timestamp: float,
    ) -> None:
        """Record one log line of a run."""

    def record_event(self, event: dict[str, Any]) -> None:
        """Record one event (`cadenza.events.Event.record`'s dict); an id recorded before is
        kept once."""

    def read_cache(self, key: str) -> tuple[str, float | None] | None:
        """(result_ref, expiration) of the cache entry for `key`, or None."""

    def write_cache(
        self, key: str, result_ref: str, task_key: str, task_run_id: str, expiration: float | None
    ) -> None:
        """Record that `key` names the persisted result `result_ref`."""

    def read_states(self, run_ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
        """The recorded (state type value, state name) of each flow run in `run_ids` that the
        record holds, as the record holds it: another process (`cadenza runs cancel`, the
        server) may have changed it. Empty when the record cannot be read just now."""

    def flush(self) -> None:
        """Make everything accepted so far durable before returning."""

    def close(self) -> None:
        """Flush and release resources; the backend may not be used afterwards."""


__all__ = ["Backend"]
