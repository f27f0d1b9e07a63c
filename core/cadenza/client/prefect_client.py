"""`SyncCadenzaClient`: Prefect's client methods (``read_flow_runs``, ``set_flow_run_state``,
``read_logs``, ...) over a record — `EmbeddedRecord` or `HttpRecord`, which answer the same
plain dicts — returning the typed objects of `cadenza.client.schemas.objects`.

The filters are turned into their JSON here, once (`filters.dump`), and given to the record,
which applies them with `cadenza.store.run_filters` (in this process, or on the server).
`cadenza.client.orchestration.CadenzaClient` is the async form of this class.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from cadenza.client.schemas import filters as f
from cadenza.client.schemas import objects as o
from cadenza.client.schemas.actions import ArtifactCreate, VariableCreate, VariableUpdate
from cadenza.client.schemas.sorting import LogSort
from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.states import State
from cadenza.store.run_filters import flow_id as _flow_id

if TYPE_CHECKING:
    from cadenza.client.embedded_record import EmbeddedRecord
    from cadenza.client.http_record import HttpRecord

_ARTIFACT_KEY = re.compile(r"^[a-z0-9-]{1,200}$")
_ARTIFACT_TYPES = ("markdown", "table", "link", "progress", "image")
_DETAIL_KEYS = ("scheduled_time", "retry_count", "cache_key", "pause_timeout", "pause_key",
                "pause_reschedule", "run_input_keyset")  # fmt: skip


class Hello:
    """What `hello` answers (Prefect answers the HTTP response): ``status_code``, ``json()``."""

    status_code = 200

    def json(self) -> str:
        return "👋"


def _state_body(state: State[Any]) -> dict[str, Any]:
    if not isinstance(state, State):
        raise TypeError(f"state must be a State (Completed(), Cancelled(), ...), got {state!r}")
    details = state.state_details.to_dict()
    return {"type": state.type.value, "name": state.name, "message": state.message,
            "timestamp": state.ts, "result_ref": state.result_ref,
            "details": {k: details[k] for k in _DETAIL_KEYS if k in details}}  # fmt: skip


def _runs_body(flow_filter: Any, flow_run_filter: Any, task_run_filter: Any,
               deployment_filter: Any, others: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    unsupported = [name for name, value in others.items() if value is not None]
    if unsupported:
        raise ValueError(f"{', '.join(unsupported)}: not supported by cadenza's client")
    return {
        "flows": f.dump(flow_filter),
        "flow_runs": f.dump(flow_run_filter),
        "task_runs": f.dump(task_run_filter),
        "deployments": f.dump(deployment_filter),
    }


class SyncCadenzaClient:
    """Prefect's ``SyncPrefectClient`` methods over `record` (see the module docstring).

    Against a server, the route methods of `cadenza.client.http.ApiClient`
    (``list_flow_runs``, ``get_flow_run``, ...) are answered too.
    """

    def __init__(self, record: EmbeddedRecord | HttpRecord) -> None:
        self.record = record

    def __enter__(self) -> SyncCadenzaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.record.close()

    def __getattr__(self, name: str) -> Any:
        api = getattr(self.__dict__.get("record"), "api", None)
        if api is not None and not name.startswith("_"):
            return getattr(api, name)  # the server's own routes: list_flow_runs, ...
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- health ---------------------------------------------------------------------------------
    def hello(self) -> Hello:
        self.api_healthcheck_or_raise()
        return Hello()

    def api_healthcheck(self) -> Exception | None:
        """None when the record answers, else the exception it raised."""
        try:
            self.api_healthcheck_or_raise()
        except Exception as exc:
            return exc
        return None

    def api_healthcheck_or_raise(self) -> None:
        self.record.read_flow_runs({}, limit=1)

    # -- flow runs ------------------------------------------------------------------------------
    def read_flow_run(self, flow_run_id: uuid.UUID | str) -> o.FlowRun:
        found = self.record.read_flow_runs(
            {"flow_runs": {"id": {"any_": [str(flow_run_id)]}}}, limit=1
        )
        if not found:
            raise ObjectNotFound(f"No flow run with id {str(flow_run_id)!r} in {self.record.where}")
        return o.FlowRun.model_validate(found[0])

    def read_flow_runs(
        self,
        *,
        flow_filter: f.FlowFilter | None = None,
        flow_run_filter: f.FlowRunFilter | None = None,
        task_run_filter: f.TaskRunFilter | None = None,
        deployment_filter: f.DeploymentFilter | None = None,
        work_pool_filter: Any = None,
        work_queue_filter: Any = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[o.FlowRun]:
        """The flow runs matching every filter; newest first unless `sort` says (a
        `FlowRunSort`); at most `limit` (default 200) after `offset`."""
        body = _runs_body(flow_filter, flow_run_filter, task_run_filter, deployment_filter,
                          {"work_pool_filter": work_pool_filter,
                           "work_queue_filter": work_queue_filter})  # fmt: skip
        rows = self.record.read_flow_runs(body, sort=_sort(sort), limit=limit, offset=offset)
        return [o.FlowRun.model_validate(row) for row in rows]

    def count_flow_runs(
        self,
        *,
        flow_filter: f.FlowFilter | None = None,
        flow_run_filter: f.FlowRunFilter | None = None,
        task_run_filter: f.TaskRunFilter | None = None,
        deployment_filter: f.DeploymentFilter | None = None,
        work_pool_filter: Any = None,
        work_queue_filter: Any = None,
    ) -> int:
        """How many flow runs match every filter (as `read_flow_runs`, without a limit)."""
        body = _runs_body(flow_filter, flow_run_filter, task_run_filter, deployment_filter,
                          {"work_pool_filter": work_pool_filter,
                           "work_queue_filter": work_queue_filter})  # fmt: skip
        return self.record.count_flow_runs(body)

    def set_flow_run_state(
        self, flow_run_id: uuid.UUID | str, state: State[Any], force: bool = False
    ) -> o.OrchestrationResult:
        """Propose `state` for the flow run (the orchestration rules decide, unless `force`)."""
        answer = self.record.set_state("flow", str(flow_run_id), _state_body(state), force)
        return _result(answer, lambda: self.read_flow_run(flow_run_id).state)

    def delete_flow_run(self, flow_run_id: uuid.UUID | str) -> None:
        """Delete the flow run with its task runs, logs and subflow runs."""
        if not self.record.delete_flow_run(str(flow_run_id)):
            raise ObjectNotFound(f"No flow run with id {str(flow_run_id)!r} in {self.record.where}")

    # -- task runs ------------------------------------------------------------------------------
    def read_task_run(self, task_run_id: uuid.UUID | str) -> o.TaskRun:
        found = self.record.read_task_runs(
            {"task_runs": {"id": {"any_": [str(task_run_id)]}}}, limit=1
        )
        if not found:
            raise ObjectNotFound(f"No task run with id {str(task_run_id)!r} in {self.record.where}")
        return o.TaskRun.model_validate(found[0])

    def read_task_runs(
        self,
        *,
        flow_filter: f.FlowFilter | None = None,
        flow_run_filter: f.FlowRunFilter | None = None,
        task_run_filter: f.TaskRunFilter | None = None,
        deployment_filter: f.DeploymentFilter | None = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[o.TaskRun]:
        """The task runs matching `task_run_filter` whose flow run matches the other filters."""
        body = _runs_body(flow_filter, flow_run_filter, task_run_filter, deployment_filter, {})
        rows = self.record.read_task_runs(body, sort=_sort(sort), limit=limit, offset=offset)
        return [o.TaskRun.model_validate(row) for row in rows]

    def set_task_run_state(
        self, task_run_id: uuid.UUID | str, state: State[Any], force: bool = False
    ) -> o.OrchestrationResult:
        answer = self.record.set_state("task", str(task_run_id), _state_body(state), force)
        return _result(answer, lambda: self.read_task_run(task_run_id).state)

    # -- logs -----------------------------------------------------------------------------------
    def read_logs(
        self,
        log_filter: f.LogFilter | None = None,
        limit: int | None = None,
        offset: int | None = None,
        sort: Any = LogSort.TIMESTAMP_ASC,
    ) -> list[o.Log]:
        """The log lines matching `log_filter`, oldest first unless `sort` says."""
        rows = self.record.read_logs(f.dump(log_filter), sort=_sort(sort), limit=limit,
                                     offset=offset or 0)  # fmt: skip
        return [o.Log.model_validate(row) for row in rows]

    # -- flows and deployments ------------------------------------------------------------------
    def read_flow_by_name(self, flow_name: str) -> o.Flow:
        found = self.record.read_flow_runs({"flows": {"name": {"any_": [flow_name]}}},
                                           sort="ID_DESC", limit=1)  # fmt: skip
        if not found:
            raise ObjectNotFound(f"No flow named {flow_name!r} has runs in {self.record.where}")
        return _flow(flow_name, found[0])

    def read_flow(self, flow_id: uuid.UUID | str) -> o.Flow:
        found = self.record.read_flow_runs({"flows": {"id": {"any_": [str(flow_id)]}}},
                                           sort="ID_DESC", limit=1)  # fmt: skip
        if not found:
            raise ObjectNotFound(f"No flow with id {str(flow_id)!r} in {self.record.where}")
        return _flow(found[0]["flow_name"], found[0])

    def read_deployment(self, deployment_id: uuid.UUID | str) -> o.Deployment:
        return _deployment(self.record.read_deployment(str(deployment_id)))

    def read_deployment_by_name(self, name: str) -> o.Deployment:
        """The deployment named ``"flow-name/deployment-name"``."""
        if name.count("/") != 1:
            raise ValueError(f"A deployment is named 'flow-name/deployment-name', got {name!r}")
        return _deployment(self.record.read_deployment(name))

    def create_flow_run_from_deployment(
        self,
        deployment_id: uuid.UUID | str,
        *,
        parameters: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        state: State[Any] | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        idempotency_key: str | None = None,
        parent_task_run_id: uuid.UUID | str | None = None,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
        labels: dict[str, Any] | None = None,
    ) -> o.FlowRun:
        """A Scheduled run of the deployment (due now, or at `state`'s scheduled time), for a
        worker or ``serve`` process to run."""
        del context, labels  # accepted as Prefect does; the record keeps neither
        if work_queue_name is not None:
            raise ValueError("work_queue_name: not supported; the deployment's queue is used")
        scheduled = state.state_details.scheduled_time if state is not None else None
        created = self.record.create_flow_run_from_deployment(
            str(deployment_id), parameters=parameters or {}, tags=list(tags or []), name=name,
            scheduled_time=scheduled, idempotency_key=idempotency_key,
            parent_task_run_id=None if parent_task_run_id is None else str(parent_task_run_id),
            job_variables=job_variables or {},
        )  # fmt: skip
        return self.read_flow_run(created["id"])

    def read_work_pool(self, work_pool_name: str) -> o.WorkPool:
        row = self.record.read_work_pool(work_pool_name)
        return o.WorkPool.model_validate({**row, "is_paused": row.get("paused", False)})

    # -- variables ------------------------------------------------------------------------------
    def create_variable(self, variable: VariableCreate) -> o.Variable:
        try:
            row = self.record.set_variable(variable.name, variable.value, variable.tags, False)
        except ValueError as exc:
            if "already exists" in str(exc):
                raise ObjectAlreadyExists(str(exc)) from None
            raise
        return _variable(row)

    def read_variable_by_name(self, name: str) -> o.Variable | None:
        row = self.record.read_variable(name)
        return None if row is None else _variable(row)

    def read_variables(self, limit: int | None = None) -> list[o.Variable]:
        return [_variable(row) for row in self.record.read_variables(limit)]

    def update_variable(self, variable: VariableUpdate) -> None:
        """Set an existing variable's value (and tags, if given); `ObjectNotFound` if unset."""
        current = self.record.read_variable(variable.name)
        if current is None:
            raise ObjectNotFound(f"No variable named {variable.name!r} in {self.record.where}")
        fields = variable.model_fields_set
        value = variable.value if "value" in fields else current["value"]
        tags = variable.tags if variable.tags is not None else current.get("tags")
        self.record.set_variable(variable.name, value, tags, True)

    def delete_variable_by_name(self, name: str) -> None:
        if not self.record.delete_variable(name):
            raise ObjectNotFound(f"No variable named {name!r} in {self.record.where}")

    # -- blocks ---------------------------------------------------------------------------------
    def read_block_document_by_name(
        self, name: str, block_type_slug: str, include_secrets: bool = True
    ) -> o.BlockDocument:
        """The block saved as ``block_type_slug/name``, its secrets in clear unless
        ``include_secrets=False``."""
        row = self.record.read_block(block_type_slug, name, include_secrets)
        return o.BlockDocument(
            id=row["id"], name=row["name"], data=_plain(row.get("data") or {}),
            block_type_slug=row["type_slug"], block_type_name=row["type_slug"],
            created=row.get("created"), updated=row.get("updated"),
        )  # fmt: skip

    # -- artifacts ------------------------------------------------------------------------------
    def create_artifact(self, artifact: ArtifactCreate) -> o.Artifact:
        if artifact.key is not None and not _ARTIFACT_KEY.match(artifact.key):
            raise ValueError(f"Invalid artifact key {artifact.key!r}: use lowercase letters, "
                             "digits and '-'")  # fmt: skip
        kind = artifact.type or "markdown"
        if kind not in _ARTIFACT_TYPES:
            raise ValueError(f"Unknown artifact type {kind!r}; expected one of: "
                             + " ".join(_ARTIFACT_TYPES))  # fmt: skip
        row = {"id": str(uuid.uuid4()), "key": artifact.key, "type": kind,
               "description": artifact.description, "data": artifact.data,
               "flow_run_id": _str(artifact.flow_run_id),
               "task_run_id": _str(artifact.task_run_id), "created": time.time()}  # fmt: skip
        return o.Artifact.model_validate(
            {**self.record.create_artifact(row), "updated": row["created"]}
        )

    def read_artifacts(
        self,
        *,
        artifact_filter: f.ArtifactFilter | None = None,
        flow_run_filter: Any = None,
        task_run_filter: Any = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[o.Artifact]:
        """Artifacts matching `artifact_filter`, newest first unless `sort` says."""
        _runs_body(None, None, None, None, {"flow_run_filter": flow_run_filter,
                                            "task_run_filter": task_run_filter})  # fmt: skip
        rows = self.record.read_artifacts(f.dump(artifact_filter), sort=_sort(sort),
                                          limit=limit, offset=offset)  # fmt: skip
        return [o.Artifact.model_validate(row) for row in rows]

    def read_latest_artifacts(
        self,
        *,
        artifact_filter: f.ArtifactFilter | None = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[o.Artifact]:
        """The newest artifact of each key matching `artifact_filter`."""
        rows = self.record.read_artifacts(f.dump(artifact_filter), sort=_sort(sort),
                                          limit=limit, offset=offset, latest=True)  # fmt: skip
        return [o.Artifact.model_validate(row) for row in rows]


_SECRET = "$cadenza-secret"  # a secret's marker in a block's data (cadenza.blocks.sealing)
_MASK = "**********"  # what Prefect shows for a secret it does not reveal


def _plain(data: Any) -> Any:
    """A block's data as Prefect's ``BlockDocument.data`` holds it: each secret as its value
    (text as saved: bytes base64, dicts JSON) or, masked, ``**********``."""
    if isinstance(data, dict):
        if _SECRET in data:
            if "value" not in data:
                return _MASK
            if data[_SECRET] in ("dict", "json"):
                return json.loads(data["value"])
            return data["value"]
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _sort(sort: Any) -> str | None:
    return None if sort is None else str(getattr(sort, "value", sort))


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _result(answer: dict[str, Any], current: Any) -> o.OrchestrationResult:
    status = o.SetStateStatus(answer["decision"])
    reason = answer.get("reason")
    details: Any
    if status is o.SetStateStatus.ACCEPT:
        details = o.StateAcceptDetails()
    elif status is o.SetStateStatus.REJECT:
        details = o.StateRejectDetails(reason=reason)
    elif status is o.SetStateStatus.WAIT:
        details = o.StateWaitDetails(delay_seconds=answer.get("delay") or 0, reason=reason)
    else:
        details = o.StateAbortDetails(reason=reason)
    state = current() if status is not o.SetStateStatus.ABORT else None
    return o.OrchestrationResult(state=state, status=status, details=details)


def _flow(name: str, newest_run: dict[str, Any]) -> o.Flow:
    return o.Flow(id=_flow_id(name), name=name, created=newest_run.get("created"),
                  updated=newest_run.get("created"))  # fmt: skip


def _deployment(row: dict[str, Any]) -> o.Deployment:
    return o.Deployment.model_validate({
        **row, "flow_id": _flow_id(row["flow_name"]),
        "parameter_openapi_schema": row.get("parameter_schema"),
        "concurrency_limit": row.get("concurrency_limit"),
    })  # fmt: skip


def _variable(row: dict[str, Any]) -> o.Variable:
    return o.Variable.model_validate({**row, "id": uuid.uuid5(uuid.NAMESPACE_URL, row["name"])})


__all__ = ["Hello", "SyncCadenzaClient"]
