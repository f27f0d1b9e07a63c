"""Resuming a failed flow run: run it again, reusing what already completed.

`resume_flow_run(run_id)` calls the flow again with the run's recorded parameters, as a new flow
run linked to the old one (`resumed_from`); the old run's record is left as it was. Each task
call in the new run is matched to the old run's calls by task and call order: the n-th call of
a task in the new run matches the n-th call of the same task in the old run. A match that
completed with a persisted result is not run again: it is recorded Completed, named "Resumed",
with that result. Everything else runs.

Limits: only results that were persisted can be reused (`persist_result=True`, a cache policy,
or `CADENZA_RESULTS_PERSIST_BY_DEFAULT=true`); a call whose result was not persisted runs again.
Tasks called inside subflows run again (their subflow is a new run). Calls made concurrently
from several threads are matched in the order they were created, which may differ between runs.
"""

from __future__ import annotations

import contextvars
import json
import threading
from typing import TYPE_CHECKING, Any

from cadenza.backends import get_backend
from cadenza.logging.loggers import run_logger
from cadenza.results import load_result
from cadenza.states import State, StateDetails, StateType
from cadenza.store.database import connect, default_db_path, ensure_schema
from cadenza.store.queries import resolve_flow_run_id

if TYPE_CHECKING:
    from cadenza.backends.base import Backend
    from cadenza.flows import Flow
    from cadenza.runs import TaskRun

_RESUMABLE = ("FAILED", "CRASHED", "CANCELLED")
pending_plan: contextvars.ContextVar[ResumePlan | None] = contextvars.ContextVar(
    "cadenza_resume_plan", default=None
)


class ResumePlan:
    """The old run's completed calls, by task key, in call order."""

    def __init__(self, flow_run_id: str, refs: dict[str, list[str | None]]) -> None:
        self.flow_run_id = flow_run_id
        self.refs = refs
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.reused = 0

    def take(self, task_key: str) -> str | None:
        """The reusable result of this task's next call, or None if it must run."""
        with self._lock:
            n = self._counts.get(task_key, 0)
            self._counts[task_key] = n + 1
        refs = self.refs.get(task_key)
        return refs[n] if refs is not None and n < len(refs) else None


def reuse(run: TaskRun, backend: Backend, plan: ResumePlan | None) -> State | None:
    """Record `run` as Resumed with its matched result; None if that result cannot be loaded."""

    try:
        value = load_result(run.reuse_ref)
    except Exception as exc:
        run_logger(run).warning("Could not reuse the earlier result (%s); running again", exc)
        run.reuse_ref = None
        return None
    source = plan.flow_run_id if plan is not None else "the resumed run"
    details = StateDetails(flow_run_id=run.flow_run_id, task_run_id=run.id)
    state = State(
        StateType.COMPLETED,
        "Resumed",
        f"Reused the result of flow run {source}",
        value,
        details,
        None,
        run.reuse_ref,
    )
    backend.propose(run, State(StateType.PENDING))
    backend.propose(run, state)
    if plan is not None:
        plan.reused += 1
    return state


def resume_flow_run(flow_run_id: str, flow: Flow | None = None) -> State:
    """Run a Failed, Crashed or Cancelled flow run again, reusing its completed task results.

    `flow_run_id` may be a unique prefix or ``latest``. Without `flow`, the flow is loaded from
    the run's recorded entrypoint. Returns the new run's final state.
    """

    get_backend().flush()
    path = default_db_path()
    ensure_schema(path)
    conn = connect(path)
    try:
        run_id = resolve_flow_run_id(conn, flow_run_id)
        state_type, parameters, entrypoint = conn.execute(
            "SELECT state_type, parameters, entrypoint FROM flow_runs WHERE id = ?", (run_id,)
        ).fetchone()
        if state_type not in _RESUMABLE:
            raise ValueError(
                f"Flow run {run_id} is {state_type}; only a Failed, Crashed or Cancelled run "
                "can be resumed"
            )
        refs: dict[str, list[str | None]] = {}
        for task_key, task_state, result_ref in conn.execute(
            "SELECT task_key, state_type, result_ref FROM task_runs WHERE flow_run_id = ? "
            "ORDER BY created, rowid",
            (run_id,),
        ):
            refs.setdefault(task_key, []).append(result_ref if task_state == "COMPLETED" else None)
    finally:
        conn.close()
    if flow is None:
        flow = load_entrypoint(entrypoint, run_id)
    plan = ResumePlan(run_id, refs)
    token = pending_plan.set(plan)
    try:
        result = flow(**json.loads(parameters or "{}"), return_state=True)
        if flow.isasync:
            import asyncio

            result = asyncio.run(result)
        return result
    finally:
        pending_plan.reset(token)


def load_entrypoint(entrypoint: str | None, run_id: str) -> Any:
    """The flow object at ``path/to/file.py:qualified.name``."""
    if not entrypoint or "<locals>" in entrypoint:
        raise ValueError(
            f"Flow run {run_id} has no importable entrypoint ({entrypoint!r}); "
            "pass the flow object: resume_flow_run(run_id, flow=my_flow)"
        )
    import importlib.util
    import sys
    from pathlib import Path

    path_text, _, qualname = entrypoint.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise ValueError(f"Flow run {run_id}: its flow's file {path} no longer exists")
    spec = importlib.util.spec_from_file_location(f"cadenza_resume_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"Flow run {run_id}: its flow's file {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


__all__ = ["ResumePlan", "load_entrypoint", "pending_plan", "resume_flow_run", "reuse"]
