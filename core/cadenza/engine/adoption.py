"""Adopting a flow run: run a flow as a flow run that already exists in the record.

A scheduler creates flow runs ahead of time (state Scheduled, or Late); the process a worker
starts for one must run THAT flow run, not a new one. It calls the flow inside `adopting`::

    with adopting(AdoptedRun(run_id, name, state=scheduled, run_count=0, tags=("nightly",))):
        my_flow(**parameters)

The top-level call made inside takes the adopted run's id and name; its tags are the record's
merged with the flow's; its state and run count start from the record's, so the orchestration
rules decide against the run's real current state (Scheduled → Pending → Running → ...; a
Scheduled state whose time has not come yet is waited for). Parameters are bound and validated
as in any call: a parameter that fails validation ends the adopted run Failed. A run whose
state is already final (Completed, Failed, Crashed, Cancelled) is refused before the flow's
body runs, with `cadenza.exceptions.FlowRunNotRunnable`.

Creating the run does not duplicate it: the embedded writer's upsert keeps the existing row and
writes this process's identity (pid, hostname, process start, entrypoint) onto it, so a process
that dies leaves a run the next one marks Crashed; a server ignores the creation of a run it
has, and this process's heartbeats renew the run's lease from the start. Subflows called by an
adopted flow are new flow runs, as always.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from typing import TYPE_CHECKING, Any

from cadenza.exceptions import FlowRunNotRunnable
from cadenza.states import TERMINAL_STATES

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from cadenza.runs import FlowRun
    from cadenza.states import State


class AdoptedRun:
    """What the engine needs of an existing flow run to run it: its `id` and `name`, its
    current `state` (None: the run has no state yet), `run_count` and `tags`."""

    __slots__ = ("id", "name", "run_count", "state", "tags")

    def __init__(
        self,
        id: str,
        name: str,
        state: State[Any] | None = None,
        run_count: int = 0,
        tags: Iterable[str] = (),
    ) -> None:
        self.id = id
        self.name = name
        self.state = state
        self.run_count = run_count
        self.tags = tuple(tags)

    def check_runnable(self) -> None:
        """Raise `FlowRunNotRunnable` if the run's state is final."""
        if self.state is not None and self.state.type in TERMINAL_STATES:
            raise FlowRunNotRunnable(self.id, self.state)

    def apply(self, run: FlowRun) -> None:
        """Make the engine's new `run` this existing run: id, name, merged tags, state, count."""
        run.id = self.id
        run.name = self.name
        run.tags = tuple(dict.fromkeys((*self.tags, *run.tags)))
        run.state = self.state
        run.run_count = self.run_count
        # The engine names its transitions "<run id>:<n>" with n counting from 1: so did
        # whoever recorded this run's earlier states (the scheduler), and a transition id
        # already applied to a run is skipped (idempotency). This process counts from a random
        # offset instead, so its transitions never take the ids of the run's earlier ones.
        run.proposals = int.from_bytes(os.urandom(5), "big") << 20

    def __repr__(self) -> str:
        return f"AdoptedRun(id={self.id!r}, name={self.name!r}, state={self.state!r})"


adopted_run: contextvars.ContextVar[AdoptedRun | None] = contextvars.ContextVar(
    "cadenza_adopted_run", default=None
)
"""The run the next top-level flow call adopts (set by `adopting`; taken by that call)."""


@contextlib.contextmanager
def adopting(adopted: AdoptedRun) -> Iterator[AdoptedRun]:
    """Inside, the first top-level flow call runs as `adopted` (see the module docstring)."""
    token = adopted_run.set(adopted)
    try:
        yield adopted
    finally:
        adopted_run.reset(token)


__all__ = ["AdoptedRun", "adopted_run", "adopting"]
