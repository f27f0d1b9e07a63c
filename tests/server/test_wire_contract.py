"""The wire format is written twice — the client builds bodies (`cadenza.backends.wire`), the
server reads them (`cadenza.server.models`) — so this checks that the two agree: every body the
client makes is valid for the server, and every field it sends is one the server reads (the
models ignore unknown fields, so a field dropped there would otherwise be lost in silence)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, RootModel

from cadenza.backends import wire
from cadenza.backends.capture import CaptureBackend
from cadenza.events import Event
from cadenza.runs import FlowRun, TaskRun
from cadenza.server.models import BatchIn, FlowRunIn, SetStateIn
from cadenza.states import Completed, Pending, Running, Scheduled

MODELS = {"flow_run": FlowRunIn, "set_state": SetStateIn, "batch": BatchIn}


def unread_fields(model: type[BaseModel], value: Any, where: str = "body") -> list[str]:
    """Paths of `value`'s keys that `model` has no field for (recursing into nested models)."""
    out = []
    for key, item in value.items():
        field = model.model_fields.get(key)
        if field is None:
            out.append(f"{where}.{key}")
            continue
        nested = _model_of(field.annotation)
        if nested is None or issubclass(nested, RootModel):  # a RootModel's keys are data
            continue
        for i, element in enumerate(item if isinstance(item, list) else [item]):
            if isinstance(element, dict):
                out.extend(unread_fields(nested, element, f"{where}.{key}[{i}]"))
    return out


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def every_kind_of_request() -> list[wire.Request]:
    """Requests for a drain holding one of everything a recorder queues."""
    recorder = CaptureBackend()
    flow = FlowRun("etl", "brave-otter", {"n": 1}, ("t",), "1.0", 2, "parent", "parent-task")
    flow.entrypoint, flow.resumed_from = "etl.py:etl", "earlier"
    recorder.create_flow_run(flow)
    task = TaskRun("extract", "mod.extract", "extract-0", flow.id, ("x",), 1)
    task.cache_key = "key"
    task.task_inputs = {"x": ["upstream"], "wait_for": ["earlier"]}
    recorder.create_task_run(task)
    recorder.propose(task, Pending())
    recorder.propose(task, Scheduled(scheduled_time=1.0, retry_count=1, cache_key="k"))
    recorder.propose(task, Running())
    recorder.propose(task, Completed().copy(result_ref="ref"))
    recorder.propose(flow, Pending())  # a flow run's transition recorded elsewhere
    recorder.log(flow.id, task.id, 1001, "cadenza.task_runs", "a line", 1.0)
    recorder.write_cache("key", "ref", "mod.extract", task.id, 2.0)
    recorder.record_artifact({"id": "a1", "key": "k", "type": "markdown", "description": "d",
                              "data": "# hi", "flow_run_id": flow.id, "task_run_id": task.id,
                              "created": 1.0})  # fmt: skip
    recorder.update_artifact("a1", 50.0, "half")
    related = [{"cadenza.resource.id": "x", "cadenza.resource.role": "y"}]
    recorder.record_event(Event(event="acme.placed", resource={"prefect.resource.id": "a.1"},
                                related=related, payload={"n": 1}).record())  # fmt: skip
    runs, states, logs, cache, artifacts, events = recorder.drain()
    return wire.requests(runs, states, logs, cache, artifacts, created=set(), events=events)


def test_every_request_the_client_makes_is_valid_and_fully_read() -> None:
    requests = every_kind_of_request()
    assert {r.op for r in requests} == {"flow_run", "batch", "set_state"}
    for request in requests:
        body = json.loads(request.data)
        model = MODELS[request.op]
        model.model_validate(body)
        assert unread_fields(model, body) == [], request.op
    (batch,) = [r for r in requests if r.op == "batch"]
    assert set(json.loads(batch.data)) == set(wire.BATCH_LISTS)


def test_the_flow_run_the_heartbeating_backend_creates_is_fully_read() -> None:
    body = wire.flow_run_body(FlowRun("etl", "name", {}))
    body["lease_seconds"] = 60.0  # added by the HTTP backend (backends/heartbeat.py)
    FlowRunIn.model_validate(body)
    assert unread_fields(FlowRunIn, body) == []
