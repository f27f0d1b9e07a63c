"""Retrying a deployment's flow run that ended badly: it becomes Scheduled (named AwaitingRetry)
and due now, so a worker or `serve` process of its deployment claims it and runs it again, as
Prefect's "Retry" does. A forced transition (the retry policy of the run itself does not apply:
its retries may be spent); only a Failed, Crashed or Cancelled run of a deployment qualifies —
a run without a deployment has nothing to run it again.
"""

from __future__ import annotations

import time
from typing import Any

from cadenza.orchestration.transitions import ROW_COLUMNS, accept
from cadenza.states import State, StateType
from cadenza.store.run_control import NoSuchRun
from cadenza.store.sql import SqlDatabase, load_runs, write_transitions
from cadenza.store.tables import flow_runs

RETRYABLE = (StateType.FAILED.value, StateType.CRASHED.value, StateType.CANCELLED.value)


class NotRetryable(ValueError):
    """The run is not in a state, or of a kind, that a retry applies to."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def retry_flow_run(db: SqlDatabase, run_id: str, now: float | None = None) -> dict[str, Any]:
    """Schedule flow run `run_id` to run again now. Returns ``{"id", "state": {"type", "name",
    "message"}}``. Raises `NoSuchRun` or `NotRetryable` (nothing changed)."""
    now = time.time() if now is None else now
    with db.write() as conn:
        run = load_runs(conn, flow_runs, "flow", [run_id]).get(run_id)
        if run is None:
            raise NoSuchRun(f"no flow run with id {run_id!r} is recorded")
        deployment = conn.execute(
            flow_runs.select().with_only_columns(flow_runs.c.deployment_id)
            .where(flow_runs.c.id == run_id)
        ).scalar()  # fmt: skip
        if deployment is None:
            raise NotRetryable(
                f"Flow run {run_id} has no deployment: nothing would run it again",
                "deployment_id",
            )
        if run.state_type not in RETRYABLE:
            raise NotRetryable(
                f"Flow run {run_id} is {run.state_name or 'not started'}: only a Failed, Crashed "
                "or Cancelled run can be retried",
                "state",
            )
        state = State(StateType.SCHEDULED, "AwaitingRetry", "Retry requested", ts=now)
        made = accept(run, state, f"retry:{now!r}")
        run.end_time = None
        write_transitions(conn, [dict(zip(ROW_COLUMNS, made[:8], strict=True))], [run])
        conn.execute(
            flow_runs.update()
            .where(flow_runs.c.id == run_id)
            .values(expected_start_time=now, worker_name=None, lease_expires=None, end_time=None)
        )
    return {"id": run_id, "state": {"type": state.type.value, "name": state.name,
                                    "message": state.message}}  # fmt: skip


__all__ = ["RETRYABLE", "NotRetryable", "retry_flow_run"]
