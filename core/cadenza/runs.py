"""In-memory run records: what the engine knows about a flow run or task run while it runs.

Both carry `id`, `kind`, `retries` and `run_count`, the fields the orchestration rules read.
Backends persist them; the engine mutates `state` only through `Backend.propose`.
"""

from __future__ import annotations

import time

from cadenza._ids import new_id

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from typing import Any, Literal

    from cadenza.states import State


class FlowRun:
    __slots__ = (
        "applied",
        "created",
        "end_time",
        "entrypoint",
        "flow_name",
        "flow_version",
        "id",
        "name",
        "parameters",
        "parent_flow_run_id",
        "parent_task_run_id",
        "proposals",
        "queued",
        "result_options",
        "result_ref",
        "resumed_from",
        "retries",
        "run_count",
        "start_time",
        "state",
        "tags",
    )
    kind: Literal["flow"] = "flow"

    def __init__(
        self,
        flow_name: str,
        name: str,
        parameters: dict[str, Any],
        tags: tuple[str, ...] = (),
        flow_version: str | None = None,
        retries: int = 0,
        parent_flow_run_id: str | None = None,
        parent_task_run_id: str | None = None,
    ) -> None:
        self.id = new_id()
        self.flow_name = flow_name
        self.name = name
        self.parameters = parameters
        self.tags = tags
        self.flow_version = flow_version
        self.retries = retries
        self.parent_flow_run_id = parent_flow_run_id
        self.parent_task_run_id = parent_task_run_id
        self.entrypoint: str | None = None
        self.resumed_from: str | None = None
        self.run_count = 0
        self.proposals = 0
        self.queued = False  # waiting in a recorder's queue (see Recorder._touch)
        # Caller-chosen transition ids already applied (idempotency); made on first use.
        self.applied: set[str] | None = None
        self.state: State[Any] | None = None
        self.created = time.time()
        self.start_time: float | None = None
        self.end_time: float | None = None
        self.result_ref: str | None = None
        # The flow's (persist_result, result_storage, result_serializer): what its tasks inherit
        # when they set none of their own, as in Prefect.
        self.result_options: tuple[bool, Any, Any] | None = None

    @property
    def flow_run_id(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"FlowRun(id={self.id!r}, name={self.name!r}, state={self.state!r})"


class TaskRun:
    __slots__ = (
        "applied",
        "cache_key",
        "created",
        "end_time",
        "flow_run_id",
        "id",
        "name",
        "proposals",
        "queued",
        "result_ref",
        "retries",
        "returned_state",
        "reuse_ref",
        "run_count",
        "start_time",
        "state",
        "tags",
        "task_inputs",
        "task_key",
        "task_name",
        "trace_context",
    )
    kind: Literal["task"] = "task"

    def __init__(
        self,
        task_name: str,
        task_key: str,
        name: str,
        flow_run_id: str | None,
        tags: tuple[str, ...] = (),
        retries: int = 0,
    ) -> None:
        self.id = new_id()
        self.task_name = task_name
        self.task_key = task_key
        self.name = name
        self.flow_run_id = flow_run_id
        self.tags = tags
        self.retries = retries
        self.run_count = 0
        self.proposals = 0
        self.queued = False  # waiting in a recorder's queue (see Recorder._touch)
        # Caller-chosen transition ids already applied (idempotency); made on first use.
        self.applied: set[str] | None = None
        self.state: State[Any] | None = None
        self.created = time.time()
        self.start_time: float | None = None
        self.end_time: float | None = None
        self.result_ref: str | None = None
        self.cache_key: str | None = None
        # Parameter name (or ``wait_for``) -> ids of the task runs it came from; None: none.
        self.task_inputs: dict[str, list[str]] | None = None
        # When resuming a flow run: the persisted result of the matching completed call.
        self.reuse_ref: str | None = None
        # A state the task's function returned itself: what a direct call returns (Prefect).
        self.returned_state: State[Any] | None = None
        # The W3C trace context it continues when it runs in another process (set when it is
        # packed for a worker: see `cadenza.observers.trace_context`); None: the run's process.
        self.trace_context: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"TaskRun(id={self.id!r}, name={self.name!r}, state={self.state!r})"


__all__ = ["FlowRun", "TaskRun"]
