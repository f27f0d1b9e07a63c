"""What a dbt invocation returns and raises: `DbtResult`, `NodeResult`, `DbtError`,
`DbtRunError`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeResult:
    """One dbt node (model, seed, snapshot, test) of an invocation, as recorded."""

    unique_id: str
    """dbt's id of the node, e.g. ``model.shop.orders``: also its task run's name."""
    name: str
    resource_type: str
    status: str
    """dbt's status: success, pass, warn, error, fail, skipped, ..."""
    message: str | None
    task_run_id: str
    state_name: str
    """The name of the task run's final state (Completed, Failed, Skipped, ...)."""

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


FAILED_STATUSES = frozenset({"error", "fail", "runtime error", "partial success"})
"""dbt's statuses that fail a node's task run."""


@dataclass(frozen=True)
class DbtResult:
    """The outcome of one dbt command: its exit code and every node, in the order dbt ran them."""

    command: str
    returncode: int
    nodes: list[NodeResult] = field(default_factory=list)

    @property
    def failed(self) -> list[NodeResult]:
        """The nodes whose task runs failed."""
        return [node for node in self.nodes if node.failed]

    @property
    def success(self) -> bool:
        return self.returncode == 0 and not self.failed

    def node(self, unique_id: str) -> NodeResult:
        """The node with this unique id (KeyError naming it when it did not run)."""
        for node in self.nodes:
            if node.unique_id == unique_id:
                return node
        raise KeyError(f"no dbt node {unique_id!r} in this {self.command} result")


class DbtError(RuntimeError):
    """dbt could not run the command: no project, no profile, a parse error, no executable."""


class DbtRunError(DbtError):
    """Some nodes failed; raised once every node is recorded. `result` holds them all."""

    def __init__(self, message: str, result: DbtResult) -> None:
        super().__init__(message)
        self.result = result

    def __reduce__(self) -> tuple[type[DbtRunError], tuple[str, DbtResult]]:
        return (type(self), (str(self), self.result))  # pickled with a failed state
