"""Recording: decide proposals in-process and queue what was accepted.

`Recorder` holds the part of a backend that needs no storage: it asks the policy about each
proposal against the in-memory run, and appends accepted transitions, touched runs and log lines
to queues. `EmbeddedBackend` drains those queues into SQLite; `CaptureBackend` hands them back to
the process that owns the flow run (task runs executed in another process or on a cluster).
"""

from __future__ import annotations

import itertools
import os
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from cadenza import observers
from cadenza._ids import new_id
from cadenza._text import MAX_TEXT, truncate
from cadenza.orchestration import CORE_POLICY, Decision, DecisionKind
from cadenza.orchestration.transitions import accept

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cadenza.backends.base import Run
    from cadenza.runs import FlowRun, TaskRun
    from cadenza.states import State

_ALREADY_APPLIED = Decision(DecisionKind.ACCEPT, "transition already applied")
_ACCEPTED = Decision(DecisionKind.ACCEPT, "accepted")
_ACCEPT = DecisionKind.ACCEPT


class Recorder:
    """Orchestrates proposals in memory; accepted work waits in `_runs`, `_states`, `_logs` (and
    cache entries, artifacts, events)."""

    #: Transitions waiting beyond this make the proposing thread write them itself
    #: (`relieve`), so a writer that falls behind a fast map cannot grow memory without bound.
    high_water = 50_000

    def relieve(self) -> None:
        """Called when too much waits; a store writes it now (the capture backend keeps it)."""

    def __init__(self, policy=CORE_POLICY) -> None:
        self.policy = policy
        self._rules = policy._by_pair  # pairs no rule governs are accepted without a call
        self._runs: deque[FlowRun | TaskRun] = deque()
        self._states: deque[tuple] = deque()
        self._logs: deque[tuple] = deque()
        self._cache: deque[tuple] = deque()
        self._artifacts: deque[dict] = deque()
        self._events: deque[dict] = deque()
        self._cache_written: dict[str, tuple[str, float | None]] = {}

    def create_flow_run(self, run: FlowRun) -> None:
        self._touch(run)

    def read_states(self, run_ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
        """Nothing recorded elsewhere to read (a store-backed recorder reads its record)."""
        return {}

    def create_task_run(self, run: TaskRun) -> None:
        self._touch(run)

    def _touch(self, run: FlowRun | TaskRun) -> None:
        """Queue `run`'s row for writing, once until the writer takes it.

        The caller has already changed the run. The writer clears `queued` before it reads the
        run's fields, so a change made after that read re-queues the run.
        """
        if not run.queued:
            run.queued = True
            self._runs.append(run)

    def propose(self, run: Run, state: State, transition_id: str | None = None) -> Decision:
        explicit = transition_id is not None
        if not explicit:  # engine-made ids are unique by construction: nothing to remember
            run.proposals += 1
            transition_id = f"{run.id}:{run.proposals}"
        elif run.applied is not None and transition_id in run.applied:
            return _ALREADY_APPLIED
        current = run.state
        if self._rules[(current.type if current is not None else None, state.type)]:
            decision = self.policy.decide(run, current, state)
            if decision.kind is not _ACCEPT:
                return decision
        else:
            decision = _ACCEPTED
        if explicit:
            if run.applied is None:
                run.applied = set()
            run.applied.add(transition_id)
        self._states.append(accept(run, state, transition_id))
        if not run.queued:
            run.queued = True
            self._runs.append(run)
        if len(self._states) > self.high_water:
            self.relieve()
        return decision

    def log(
        self,
        flow_run_id: str | None,
        task_run_id: str | None,
        level: int,
        logger: str,
        message: str,
        timestamp: float,
    ) -> None:
        """Queue one log line. It gets an id unique to this line, so a store that sees it twice
        (a batch resent after its answer was lost) keeps it once; a message longer than
        `cadenza._text.MAX_TEXT` is cut there, with a marker."""
        if len(message) > MAX_TEXT:
            message = truncate(message)
        log_id = f"{_log_ids.prefix}{next(_log_ids.counter)}"
        self._logs.append((flow_run_id, task_run_id, level, logger, message, timestamp, log_id))
        notify = observers.on_log
        if notify is not None:
            notify(flow_run_id, task_run_id, level, logger, message, timestamp)

    def write_cache(
        self,
        key: str,
        result_ref: str,
        task_key: str,
        task_run_id: str,
        expiration: float | None,
    ) -> None:
        """Record a cache entry: `key` now names the persisted result `result_ref`."""
        self._cache_written[key] = (result_ref, expiration)
        self._cache.append((key, result_ref, task_key, task_run_id, time.time(), expiration))

    def record_artifact(self, row: dict) -> None:
        """Queue an artifact (a dict with the columns of the ``artifacts`` table)."""
        self._artifacts.append(row)

    def update_artifact(self, artifact_id: str, data: object, description: str | None) -> None:
        """Queue a change of a progress artifact's data (and description, unless None); it is
        applied after everything queued before it."""
        self._artifacts.append(
            {"id": artifact_id, "data": data, "description": description, "update": True}
        )

    def record_event(self, event: dict[str, Any]) -> None:
        """Queue an event (`cadenza.events.Event.record`'s dict: id, event, occurred, resource,
        related, payload); a store keeps an id it has seen once."""
        self._events.append(event)

    def read_cache(self, key: str) -> tuple[str, float | None] | None:
        """(result_ref, expiration) of the entry for `key`, or None. Entries this recorder
        wrote are seen at once; stores add what is on disk."""
        return self._cache_written.get(key)

    def ingest(
        self,
        runs: list,
        states: list[tuple],
        logs: list[tuple],
        cache: Sequence[tuple[Any, ...]] = (),
        artifacts: Sequence[dict[str, Any]] = (),
        events: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Queue what another recorder captured (see `CaptureBackend.drain`)."""
        for run in runs:
            self._touch(run)
        self._states.extend(states)
        self._logs.extend(logs)
        for row in cache:
            self._cache_written[row[0]] = (row[1], row[5])
        self._cache.extend(cache)
        self._artifacts.extend(artifacts)
        self._events.extend(events)


class _LogIds:
    """Log line ids: a random prefix per process (made anew after fork) and a counter."""

    def __init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.prefix = f"{new_id()}-"
        self.counter = itertools.count()


_log_ids = _LogIds()
if hasattr(os, "register_at_fork"):  # POSIX only: Windows does not fork
    os.register_at_fork(after_in_child=_log_ids.refresh)


def take_runs(queue: deque) -> list:
    """The queued runs, each once, marked as no longer queued (before their fields are read)."""
    runs = {}
    for run in pop_all(queue):
        run.queued = False
        runs[run.id] = run
    return list(runs.values())


def pop_all(queue: deque) -> list:
    """Everything in `queue` now, removed; safe against concurrent appends."""
    n = len(queue)
    pop = queue.popleft
    return [pop() for _ in range(n)]


__all__ = ["Recorder", "pop_all", "take_runs"]
