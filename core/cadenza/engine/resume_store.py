"""Keeping completed task results for `cadenza runs resume`, without ``persist_result``.

A flow run's completed task calls whose results were not persisted are held in memory by the
run's `ResultKeeper` (their task runs, whose final states reference the values: no copy). Only
when the flow run ends Failed, Crashed or Cancelled are they written — serialized, signed and
stored like persisted results — to the flow's result storage (the default one unless the flow
sets ``result_storage``), under ``resume/<flow run id>/<task run id>``;
`cadenza.engine.resume` finds them there. A flow run that completes writes nothing.
``CADENZA_RESULTS_PERSIST_FOR_RESUME`` chooses:

- ``on-failure`` (the default): as above. A process killed with SIGKILL (or the OOM killer)
  cannot save anything; its tasks run again on resume unless their results were persisted.
- ``each-task``: each result is written when its task completes, so nothing is lost to
  SIGKILL (the record is flushed after each write too, so the task runs are on record); the
  writes are deleted again when the flow run completes.
- ``off``: nothing is kept; resuming reuses persisted results only.

The task run's record is not changed: its result stays unavailable to `State.result()` in
another process (``persist_result=False`` keeps meaning that); only a resume reads it. A result
that cannot be serialized is not kept: the reason is logged on the flow run and written beside
the key (``.unkept``), and the resumed run logs it on the task run it runs again.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from cadenza.logging.loggers import for_context
from cadenza.results import resolve_storage, store_value
from cadenza.settings import spec
from cadenza.states import _NO_RESULT, State, StateType

if TYPE_CHECKING:
    from cadenza.backends.base import Backend
    from cadenza.context import FlowRunContext
    from cadenza.flows import Flow
    from cadenza.runs import TaskRun

PREFIX = "resume"
UNKEPT = ".unkept"
_COMPLETED = StateType.COMPLETED
_SAVE_ON = (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED)


def resume_prefix(flow_run_id: str) -> str:
    """The storage prefix of the results kept for flow run ``flow_run_id`` (and its subflows)."""
    return f"{PREFIX}/{flow_run_id}/"


class _Switch:
    """How many flow runs in this process save each result as it completes (``each-task``):
    the task engine checks it after each call, one attribute read while it is zero."""

    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = 0


each_task_runs = _Switch()


def _keepable(state: State[Any] | None) -> bool:
    return (
        state is not None
        and state.type is _COMPLETED
        and state.result_ref is None
        and state.raw_data is not _NO_RESULT
    )


COMPACT_EVERY = 10_000
"""Task runs created between two compactions of a keeper's list (see `ResultKeeper.compact`)."""

Kept = tuple[str, str, Any]
"""A compacted entry: (task run id, task run name, result)."""


class ResultKeeper:
    """The task runs of one flow run and its subflows, whose completed, unpersisted results
    are saved if the flow run does not complete. Holding a run holds its final state, so the
    result stays in memory (no copy) until the flow run ends; every `COMPACT_EVERY` runs the
    list is compacted, so a long flow holds a small tuple per completed call, not its run."""

    __slots__ = (
        "_lock",
        "_storage",
        "compact_at",
        "each_task",
        "flow",
        "flow_run_id",
        "runs",
        "saved",
    )

    def __init__(self, flow: Flow[..., Any], flow_run_id: str, each_task: bool) -> None:
        self.flow = flow
        self.flow_run_id = flow_run_id
        self.each_task = each_task
        # Appended by the task engine when a task run is created (`cadenza.engine.task_engine`).
        self.runs: list[TaskRun | Kept] = []
        self.compact_at = COMPACT_EVERY
        self.saved: set[str] = set()
        self._storage: Any = None
        self._lock = threading.Lock()
        if each_task:
            each_task_runs.on += 1

    def compact(self) -> None:
        """Replace the ended runs at the head of the list by what is kept of them. In place
        (one slice assignment), so that runs appended meanwhile by other threads stay."""
        if not self._lock.acquire(blocking=False):
            return  # another thread compacts
        try:
            runs = self.runs
            n = len(runs)
            kept: list[TaskRun | Kept] = []
            for item in runs[:n]:
                if type(item) is tuple:
                    kept.append(item)
                    continue
                state = item.state  # type: ignore[union-attr]  # not a tuple: a TaskRun
                if state is None or not state.is_final():
                    kept.append(item)
                elif _keepable(state):
                    kept.append((item.id, item.name, state.raw_data))  # type: ignore[union-attr]  # a TaskRun, as above
            runs[:n] = kept
            self.compact_at = 2 * len(runs) + COMPACT_EVERY
        finally:
            self._lock.release()

    def completed(self, run: TaskRun, backend: Backend, logger: Any) -> None:
        """Under ``each-task``: save ``run``'s result now and flush the record, so that a
        process killed next leaves the task run on record for the resume to match."""
        state = run.state
        if self.each_task and _keepable(state):
            self._save(run.id, run.name, state.raw_data, logger)  # type: ignore[union-attr]  # a completed run: its state is set
            backend.flush()

    def settle(self, state_type: StateType, logger: Any) -> None:
        """At the end of the flow run: save what is kept if it did not complete; forget it."""
        runs, self.runs = self.runs, []
        if self.each_task:
            each_task_runs.on -= 1
        if state_type in _SAVE_ON:
            for item in runs:
                if type(item) is not tuple:
                    state = item.state  # type: ignore[union-attr]  # a TaskRun
                    if not _keepable(state):
                        continue
                    item = (item.id, item.name, state.raw_data)  # type: ignore[union-attr]  # a TaskRun, as above
                run_id, name, value = item  # type: ignore[misc]  # a compacted entry: three items
                if run_id not in self.saved:
                    self._save(run_id, name, value, logger)
        elif self.each_task and state_type is _COMPLETED:
            self._discard()

    def storage(self) -> Any:
        with self._lock:
            if self._storage is None:
                self._storage = resolve_storage(self.flow.result_storage)
            return self._storage

    def _save(self, run_id: str, name: str, value: Any, logger: Any) -> None:
        key = resume_prefix(self.flow_run_id) + run_id
        self.saved.add(run_id)
        try:
            storage = self.storage()
            store_value(value, storage, key, self.flow.result_serializer)
        except Exception as exc:  # never fails the run: the task runs again on resume
            reason = f"{type(exc).__name__}: {exc}"
            logger.warning(
                "Result of task run %r not kept for resume (it will run again): %s", name, reason
            )
            try:
                storage.write_path(key + UNKEPT, reason.encode("utf-8", "replace"))
            except Exception:  # the log line above is the record then
                pass

    def _discard(self) -> None:
        try:
            storage = self.storage()
            for key in storage.list_keys(resume_prefix(self.flow_run_id)):
                storage.delete(key)
        except Exception:  # leftovers are harmless: no resume of a completed run reads them
            pass


def keeper_for(flow: Flow[..., Any], flow_run_id: str, parent: FlowRunContext | None) -> Any:
    """The keeper of a new flow run: its parent's for a subflow (kept until the outermost run
    ends), a new one for a flow run, None when ``CADENZA_RESULTS_PERSIST_FOR_RESUME=off``."""
    if parent is not None:
        return parent.kept
    mode = str(spec.get("CADENZA_RESULTS_PERSIST_FOR_RESUME")).upper()
    if mode == "OFF":
        return None
    return ResultKeeper(flow, flow_run_id, mode == "EACH-TASK")


def settle(ctx: FlowRunContext) -> None:
    """Called when flow run ``ctx`` ends: the outermost run saves or forgets what was kept."""
    keeper = ctx.kept
    state = ctx.flow_run.state
    if keeper is None or state is None or keeper.flow_run_id != ctx.flow_run.id:
        return
    keeper.settle(state.type, for_context(ctx))


__all__ = [
    "COMPACT_EVERY",
    "PREFIX",
    "UNKEPT",
    "ResultKeeper",
    "each_task_runs",
    "keeper_for",
    "resume_prefix",
    "settle",
]
