"""Turning dbt's events into task runs, as they arrive: one task run per dbt node.

``NodeStart`` records the node's task run (Pending); its first sign of work (the ``START``
line, compiling, executing) starts it (Running, at dbt's start time); ``NodeFinished`` ends it
in the state its status maps to, at dbt's end time. Every event about the node is a log line of
its task run; the others are log lines of the flow run. A skipped node (an upstream node
failed) ends Skipped without having run.
"""

from __future__ import annotations

import logging
from typing import Any

from cadenza.states import StateType
from cadenza.task_runs import ExternalTaskRun, record_task_run

from cadenza_dbt._events import Event
from cadenza_dbt.results import FAILED_STATUSES, NodeResult

_WORKING = frozenset({"LogStartLine", "NodeCompiling", "NodeExecuting"})

# dbt's status -> (state type, state name; None: the type's own)
_STATES: dict[str, tuple[StateType, str | None]] = {
    "success": (StateType.COMPLETED, None),
    "pass": (StateType.COMPLETED, None),
    "warn": (StateType.COMPLETED, "Warned"),
    "no-op": (StateType.COMPLETED, "NoOp"),
    "skipped": (StateType.CANCELLED, "Skipped"),
    "partial success": (StateType.FAILED, "PartialSuccess"),
}


class NodeError(Exception):
    """Why a dbt node failed: what ``state.result()`` raises for its task run."""


class _Node:
    __slots__ = ("event", "message", "run", "started", "status")

    def __init__(self, event: Event, run: ExternalTaskRun) -> None:
        self.event = event
        self.run = run
        self.started = False
        self.status: str | None = None
        self.message: str | None = None


class NodeRecorder:
    """Feed it dbt's events in order (`handle`), then `close` it: it keeps the nodes' runs."""

    def __init__(self, flow_logger: logging.LoggerAdapter[Any] | logging.Logger) -> None:
        self.flow_logger = flow_logger
        self.nodes: dict[str, _Node] = {}

    def handle(self, event: Event) -> None:
        uid = event.unique_id
        node = self.nodes.get(uid) if uid is not None else None
        if node is None and uid is not None and event.name in ("NodeStart", "SkippingDetails"):
            node = self._open(event)
        if node is None:
            if event.msg.strip():  # dbt's blank "Formatting" lines are left out
                self.flow_logger.log(event.level, "%s", event.msg)
            return
        if node.status is None:
            if event.name in _WORKING and not node.started:
                node.run.start(at=event.started_at)
                node.started = True
            if event.msg:
                node.run.logger.log(event.level, "%s", event.msg)
            if event.name == "SkippingDetails":
                node.message = "Skipped: an upstream node failed"
            if event.name == "NodeFinished":
                status = event.result_status or event.node_status or "success"
                self._finish(node, status, event.result_message, event.finished_at)
        elif event.msg:  # the run summary repeats a failed node's error: keep it with the node
            node.run.logger.log(event.level, "%s", event.msg)

    def _open(self, event: Event) -> _Node:
        uid = event.unique_id or ""
        tags = ["dbt"] + ([f"dbt:{event.resource_type}"] if event.resource_type else [])
        run = record_task_run(uid, tags=tags, at=event.started_at)
        node = self.nodes[uid] = _Node(event, run)
        return node

    def _finish(self, node: _Node, status: str, message: str | None, at: float | None) -> None:
        node.status = status
        message = message or node.message
        node.message = message
        if status in FAILED_STATUSES:
            error = NodeError(f"dbt {node.event.resource_type} {node.event.unique_id}: {message}")
            node.run.finish(StateType.FAILED, message, at=at, error=error)
            return
        state_type, name = _STATES.get(status, (StateType.COMPLETED, None))
        if state_type is StateType.COMPLETED and not node.started:
            node.run.start(at=at)  # a node dbt finished without a START line (an ephemeral)
        node.run.finish(state_type, message, name=name, at=at)

    def close(self, why: str) -> None:
        """End the runs of nodes dbt never finished (it exited, or was stopped): Crashed."""
        for node in self.nodes.values():
            if node.status is None:
                node.status = "error"
                node.message = why
                node.run.finish(StateType.CRASHED, why, error=NodeError(why))

    def results(self) -> list[NodeResult]:
        return [
            NodeResult(
                unique_id=uid,
                name=node.event.node_name,
                resource_type=node.event.resource_type,
                status=node.status or "error",
                message=node.message,
                task_run_id=node.run.id,
                state_name=node.run.state.name if node.run.state is not None else "Pending",
            )
            for uid, node in self.nodes.items()
        ]
