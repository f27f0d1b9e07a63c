"""Resuming a failed flow run: run it again, reusing what already completed.

`resume_flow_run(run_id)` calls the flow again with the run's recorded parameters, as a new flow
run linked to the old one (`resumed_from`); the old run's record is left as it was. Each task
call in the new run is matched to the old run's calls by task and call order: the n-th call of
a task in the new run matches the n-th call of the same task in the old run. Subflows are
matched the same way (the n-th call of a subflow, by flow name), and the task calls inside them
against the matching subflow run's. A match that completed is not run again when its result
can be read: it is recorded Completed, named "Resumed", with that result. Everything else runs.

A completed call's result is there when it was persisted (``persist_result=True``, a cache
policy, ``CADENZA_RESULTS_PERSIST_BY_DEFAULT=true``) or kept for resume: without persistence,
a flow run that ends Failed, Crashed or Cancelled saves its completed results at its end
(`cadenza.engine.resume_store`). A call whose result is neither runs again, and its new run
logs why. The old run is read from the embedded record, or from the server when
``CADENZA_API_URL`` is set. Calls made concurrently from several threads are matched in the
order they were created, which may differ between runs.
"""

from __future__ import annotations

import contextvars
import json
import threading
from typing import TYPE_CHECKING, Any

from cadenza.backends import get_backend
from cadenza.client.remote import remote_or_none
from cadenza.engine.resume_store import UNKEPT, resume_prefix
from cadenza.logging.loggers import run_logger
from cadenza.results import ResultRef, load_result, resolve_storage
from cadenza.serializers import get_serializer, serializer_name
from cadenza.states import State, StateDetails, StateType
from cadenza.storage import describe
from cadenza.store.database import connect, default_db_path, ensure_schema
from cadenza.store.queries import resolve_flow_run_id

if TYPE_CHECKING:
    from cadenza.backends.base import Backend
    from cadenza.flows import Flow
    from cadenza.runs import TaskRun

_RESUMABLE = ("FAILED", "CRASHED", "CANCELLED")
_PAGE = 10_000
pending_plan: contextvars.ContextVar[ResumePlan | None] = contextvars.ContextVar(
    "cadenza_resume_plan", default=None
)
Call = tuple[str | None, str | None]
"""A matched call: (result reference to reuse, or None; why it runs again, or None)."""


class ResumePlan:
    """The old run's calls, by task key (and subflows by flow name), in call order."""

    def __init__(
        self,
        flow_run_id: str,
        calls: dict[str, list[Call]],
        subflows: dict[str, list[ResumePlan]] | None = None,
    ) -> None:
        self.flow_run_id = flow_run_id
        self.calls = calls
        self.subflows = subflows or {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.reused = 0

    def _next(self, key: str) -> int:
        with self._lock:
            n = self._counts.get(key, 0)
            self._counts[key] = n + 1
        return n

    def take(self, task_key: str) -> Call:
        """This task's next call: the result to reuse (None: run it) and why it runs again."""
        calls = self.calls.get(task_key)
        n = self._next(task_key)
        return calls[n] if calls is not None and n < len(calls) else (None, None)

    def take_subflow(self, flow_name: str) -> ResumePlan | None:
        """The plan of the old run's matching call of subflow ``flow_name`` (None: none)."""
        plans = self.subflows.get(flow_name)
        n = self._next("\0subflow:" + flow_name)
        return plans[n] if plans is not None and n < len(plans) else None


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
    client = remote_or_none()
    source: _Record = _ServerRecord(client) if client is not None else _EmbeddedRecord()
    try:
        run_id, state_type, parameters, entrypoint = source.flow_run(flow_run_id)
        if state_type not in _RESUMABLE:
            raise ValueError(
                f"Flow run {run_id} is {state_type}; only a Failed, Crashed or Cancelled run "
                "can be resumed"
            )
        if flow is None:
            flow = load_entrypoint(entrypoint, run_id)
        plan = _Planner(source, flow, run_id).plan(run_id)
    finally:
        source.close()
    token = pending_plan.set(plan)
    try:
        result = flow(**(parameters or {}), return_state=True)
        if flow.isasync:
            import asyncio

            result = asyncio.run(result)
        return result
    finally:
        pending_plan.reset(token)


class _Planner:
    """Builds the plan of an old run and its subflows; results kept for resume are found
    under the old run's prefix in the flow's result storage (listed once)."""

    def __init__(self, source: _Record, flow: Flow, root_id: str) -> None:
        self.source = source
        self.storage = resolve_storage(flow.result_storage)
        self.prefix = resume_prefix(root_id)
        try:
            self.kept = set(self.storage.list_keys(self.prefix))
        except Exception:  # storage unreachable: only persisted results can be reused
            self.kept = set()
        name = serializer_name(get_serializer(flow.result_serializer))
        self.ref = lambda key: ResultRef(describe(self.storage), key, name).dumps()

    def plan(self, run_id: str) -> ResumePlan:
        calls: dict[str, list[Call]] = {}
        for task_id, task_key, state_type, result_ref in self.source.task_runs(run_id):
            calls.setdefault(task_key, []).append(self._call(task_id, state_type, result_ref))
        subflows: dict[str, list[ResumePlan]] = {}
        for sub_id, flow_name in self.source.subflow_runs(run_id):
            subflows.setdefault(flow_name, []).append(self.plan(sub_id))
        return ResumePlan(run_id, calls, subflows)

    def _call(self, task_id: str, state_type: str, result_ref: str | None) -> Call:
        key = self.prefix + task_id
        if key in self.kept:  # only a completed result is kept, even if a process killed
            return self.ref(key), None  # before its record was written says otherwise
        if state_type != "COMPLETED":
            return None, None
        if result_ref is not None:
            return result_ref, None
        if key + UNKEPT in self.kept:
            try:
                why = self.storage.read_path(key + UNKEPT).decode("utf-8", "replace")
            except Exception as exc:
                why = f"{type(exc).__name__}: {exc}"
            return None, f"its earlier result could not be kept ({why})"
        return None, (
            f"task run {task_id} completed, but its result was neither persisted nor kept "
            "(a process killed before the flow run ended keeps none; see "
            "CADENZA_RESULTS_PERSIST_FOR_RESUME)"
        )


class _Record:
    """Where the old run is read from."""

    def flow_run(self, ref: str) -> tuple[str, str, dict[str, Any], str | None]:
        raise NotImplementedError

    def task_runs(self, run_id: str) -> list[tuple[str, str, str, str | None]]:
        raise NotImplementedError

    def subflow_runs(self, run_id: str) -> list[tuple[str, str]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _EmbeddedRecord(_Record):
    def __init__(self) -> None:
        path = default_db_path()
        ensure_schema(path)
        self.conn = connect(path)

    def flow_run(self, ref: str) -> tuple[str, str, dict[str, Any], str | None]:
        run_id = resolve_flow_run_id(self.conn, ref)
        state_type, parameters, entrypoint = self.conn.execute(
            "SELECT state_type, parameters, entrypoint FROM flow_runs WHERE id = ?", (run_id,)
        ).fetchone()
        return run_id, state_type, json.loads(parameters or "{}"), entrypoint

    def task_runs(self, run_id: str) -> list[tuple[str, str, str, str | None]]:
        return self.conn.execute(
            "SELECT id, task_key, state_type, result_ref FROM task_runs WHERE flow_run_id = ? "
            "ORDER BY created, rowid",
            (run_id,),
        ).fetchall()

    def subflow_runs(self, run_id: str) -> list[tuple[str, str]]:
        return self.conn.execute(
            "SELECT id, flow_name FROM flow_runs WHERE parent_flow_run_id = ? "
            "ORDER BY created, rowid",
            (run_id,),
        ).fetchall()

    def close(self) -> None:
        self.conn.close()


class _ServerRecord(_Record):
    def __init__(self, client: Any) -> None:
        self.client = client

    def flow_run(self, ref: str) -> tuple[str, str, dict[str, Any], str | None]:
        run = self.client.get_flow_run(ref)
        return run["id"], run["state"]["type"], run.get("parameters") or {}, run["entrypoint"]

    def task_runs(self, run_id: str) -> list[tuple[str, str, str, str | None]]:
        return [
            (t["id"], t["task_key"], t["state"]["type"], t.get("result_ref"))
            for t in self._pages(self.client.get_task_runs_page, run_id)
        ]

    def subflow_runs(self, run_id: str) -> list[tuple[str, str]]:
        runs = self._pages(self.client.get_subflow_runs_page, run_id)
        return [(r["id"], r["flow_name"]) for r in sorted(runs, key=lambda r: r["created"])]

    @staticmethod
    def _pages(fetch: Any, run_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while chunk := fetch(run_id, _PAGE, len(items)):
            items += chunk
        return items


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
