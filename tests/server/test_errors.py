"""Every error answer has one shape, `ErrorOut`, and the OpenAPI document says so truly."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from server_helpers import flow_run, state, task_run

SECRET = "sk-live-DO-NOT-ECHO-5678"


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/api/openapi.json").json()


def _declared(document: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """The schema `document` declares for the answer `status` of ``method path``."""
    responses = document["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not declare {status}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def _conforms(document: dict, path: str, method: str, response) -> dict[str, Any]:
    body = response.json()
    jsonschema.Draft202012Validator(
        _declared(document, path, method, response.status_code)
    ).validate(body)
    return body


# A malformed body for every POST and PUT route: (template path, request path, body).
MALFORMED = [
    ("/api/flow_runs", "/api/flow_runs", {**flow_run("r1"), "created": SECRET}),
    ("/api/flow_runs", "/api/flow_runs", [SECRET]),
    ("/api/flow_runs/delete", "/api/flow_runs/delete", {"ids": ["r1"], "limit": SECRET}),
    ("/api/flow_runs/{run_id}/set_state", "/api/flow_runs/r1/set_state",
     {"transition_id": "t", "state": {"type": SECRET, "timestamp": 1}}),
    ("/api/task_runs/{run_id}/set_state", "/api/task_runs/t1/set_state",
     {"transition_id": "t", "state": {"type": "COMPLETED", "timestamp": 1}, "force": SECRET}),
    ("/api/flow_runs/filter", "/api/flow_runs/filter",
     {"flow_runs": {"state": {"type": {"any_": [SECRET]}}}}),
    ("/api/flow_runs/filter", "/api/flow_runs/filter", {"limit": SECRET}),
    ("/api/flow_runs/count", "/api/flow_runs/count", {"flows": {"name": {"any_": SECRET}}}),
    ("/api/task_runs/filter", "/api/task_runs/filter", {"task_runs": {SECRET: {"any_": []}}}),
    ("/api/logs/filter", "/api/logs/filter", {"logs": {"level": {"ge_": SECRET}}}),
    ("/api/artifacts/filter", "/api/artifacts/filter", {"sort": SECRET}),
    ("/api/artifacts/latest/filter", "/api/artifacts/latest/filter",
     {"artifacts": {"key": {"any_": SECRET}}}),
    ("/api/flow_runs/{run_id}/resume", "/api/flow_runs/r1/resume", {"run_input": SECRET}),
    ("/api/flow_runs/{run_id}/input", "/api/flow_runs/r1/input", {"key": [SECRET], "value": 1}),
    ("/api/flow_runs/{run_id}/input/filter", "/api/flow_runs/r1/input/filter",
     {"prefix": "p", "limit": SECRET}),
    ("/api/flow_runs/states", "/api/flow_runs/states", {"flow_run_ids": [SECRET, "x\x00y"]}),
    ("/api/flow_runs/{run_id}/cancel", "/api/flow_runs/r1/cancel", {"force": SECRET}),
    ("/api/flow_runs/{run_id}/retry", "/api/flow_runs/bad%00id/retry", {}),
    ("/api/flow_runs/bulk", "/api/flow_runs/bulk", {"action": SECRET, "ids": ["r1"]}),
    ("/api/flow_runs/bulk", "/api/flow_runs/bulk",
     {"action": "cancel", "filter": {"state": [SECRET] * 21}}),
    ("/api/saved_views", "/api/saved_views", {"name": "v", "query": {"state": SECRET}}),
    ("/api/saved_views", "/api/saved_views", {"name": "v", "query": {SECRET: 1}}),
    ("/api/saved_views/{view_id}", "/api/saved_views/v1", {"is_default": SECRET}),
    ("/api/concurrency_limits", "/api/concurrency_limits", {"name": "db", "limit": SECRET}),
    ("/api/concurrency_limits/increment-with-lease",
     "/api/concurrency_limits/increment-with-lease", {"names": ["db"], "slots": SECRET}),
    ("/api/concurrency_limits/decrement-with-lease",
     "/api/concurrency_limits/decrement-with-lease", {"lease_id": [SECRET]}),
    ("/api/concurrency_limits/leases/{lease_id}/renew",
     "/api/concurrency_limits/leases/l1/renew", {"lease_seconds": SECRET}),
    ("/api/concurrency_limits/{name}/reset", "/api/concurrency_limits/bad%00name/reset", {}),
    ("/api/batch", "/api/batch", {"logs": [{"level": SECRET}]}),
    ("/api/batch", "/api/batch", {"task_runs": {"not": "a list"}}),
    ("/api/heartbeats", "/api/heartbeats", {"flow_run_ids": ["r1"], "lease_seconds": SECRET}),
    ("/api/heartbeats", "/api/heartbeats", {"flow_run_ids": ["r1"], "lease_seconds": -1}),
    ("/api/artifacts", "/api/artifacts", {"id": "a1", "type": SECRET, "data": 1, "created": 1}),
    ("/api/blocks/{type_slug}/{name}", "/api/blocks/secret/x", {"data": SECRET}),
    ("/api/variables/{name}", "/api/variables/v", {"tags": [SECRET], "value": "x" * 2_000_000}),
    ("/api/deployments", "/api/deployments", {"name": "d", "flow_name": "f", "paused": SECRET}),
    ("/api/deployments", "/api/deployments",
     {"name": "d", "flow_name": "f", "schedules": [{"schedule": {"cron": "* * * * *"},
                                                  "active": SECRET}]}),
    ("/api/deployments/claim", "/api/deployments/claim",
     {"claimant": "c", "deployment_ids": ["d"], "limit": SECRET}),
    ("/api/deployments/{deployment_id}/create_flow_run", "/api/deployments/d/create_flow_run",
     {"scheduled_time": SECRET}),
    ("/api/deployments/{deployment_id}/pause", "/api/deployments/bad%00id/pause", {}),
    ("/api/deployments/{deployment_id}/resume", "/api/deployments/bad%00id/resume", {}),
    ("/api/work_pools", "/api/work_pools", {"name": "p", "concurrency_limit": SECRET}),
    ("/api/work_pools/{name}/pause", "/api/work_pools/bad%00pool/pause", {}),
    ("/api/work_pools/{name}/resume", "/api/work_pools/bad%00pool/resume", {}),
    ("/api/work_pools/{name}/queues", "/api/work_pools/p/queues",
     {"name": "q", "priority": SECRET}),
    ("/api/work_pools/{name}/queues/{queue}/pause", "/api/work_pools/p/queues/bad%00q/pause", {}),
    ("/api/work_pools/{name}/queues/{queue}/resume", "/api/work_pools/p/queues/bad%00q/resume",
     {}),
    ("/api/work_pools/{name}/workers/heartbeat", "/api/work_pools/p/workers/heartbeat",
     {"name": "w", "lease_seconds": SECRET}),
    ("/api/work_pools/{name}/claim", "/api/work_pools/p/claim", {"worker": "w", "limit": SECRET}),
    ("/api/events/filter", "/api/events/filter", {"limit": SECRET, "cursor": SECRET}),
    ("/api/events", "/api/events",
     [{"event": "e", "resource": {"cadenza.resource.id": "r"}, "occurred": SECRET}]),
    ("/api/automations", "/api/automations", {"name": "n", "trigger": {"threshold": SECRET}}),
    ("/api/automations", "/api/automations",
     {"name": "n", "trigger": {"type": "event", "after": [[SECRET]], "for_each": [[1]]}}),
    ("/api/automations/{automation_id}", "/api/automations/a1",
     {"name": "n", "trigger": {}, "actions": [{"type": SECRET}]}),
]  # fmt: skip


@pytest.mark.parametrize(("template", "path", "body"), MALFORMED)
def test_a_malformed_body_gets_the_declared_422(client, document, template, path, body) -> None:
    put = path.startswith(("/api/blocks", "/api/variables"))
    put = put or template.endswith(("{automation_id}", "{view_id}"))
    method = "put" if put else "post"
    response = client.request(method.upper(), path, json=body)
    assert response.status_code == 422, response.text
    answer = _conforms(document, template, method, response)
    assert answer["errors"] and answer["detail"].startswith("Invalid request: ")
    assert "\n" not in answer["detail"]
    assert SECRET not in response.text


def test_every_post_and_put_route_is_covered(document) -> None:
    writes = {
        path
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("post", "put")
    }
    assert writes == {template for template, _, _ in MALFORMED}


def test_the_422_of_every_route_is_error_out_not_fastapi_s(document) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["ErrorOut"]["required"]) == {"detail", "errors"}
    declared = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    declared += 1
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorOut"
                    }, (method, path, status)
            if method in ("post", "put"):
                assert "422" in operation["responses"], (method, path)
    assert declared > 40


def test_a_bad_record_in_a_batch_is_named_by_list_and_index(client, document) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    logs = [
        {"flow_run_id": "f1", "level": 20, "logger": "l", "message": f"m{i}", "timestamp": 1}
        for i in range(8)
    ]
    logs[5]["level"] = -3
    transitions = [
        {"run_id": "f1", "transition_id": f"t{i}", "state": state("PENDING")} for i in range(20)
    ]
    transitions[17]["run_id"] = "bad\x00id"
    response = client.post("/api/batch", json={"logs": logs, "transitions": transitions})
    answer = _conforms(document, "/api/batch", "post", response)
    assert [e["loc"] for e in answer["errors"]] == [
        ["body", "transitions", 17, "run_id"],
        ["body", "logs", 5, "level"],
    ]
    assert "body.transitions.17.run_id" in answer["detail"]


def test_refusals_of_the_store_have_the_same_shape(client, document) -> None:
    body = {"task_runs": [task_run("t0", None), task_run("t1", "ghost-flow")]}
    response = client.post("/api/batch", json=body)
    answer = _conforms(document, "/api/batch", "post", response)
    assert answer["errors"][0]["loc"] == ["body", "task_runs", 1, "flow_run_id"]
    assert "ghost-flow" not in response.text


def test_other_errors_have_the_same_shape(client, document) -> None:
    not_found = client.get("/api/flow_runs/nope")
    assert _conforms(document, "/api/flow_runs/{ref}", "get", not_found)["errors"] == []
    client.put("/api/variables/v", json={"value": 1})
    conflict = client.put("/api/variables/v", json={"value": 2})
    assert conflict.status_code == 409
    _conforms(document, "/api/variables/{name}", "put", conflict)
    bad_query = client.get("/api/flow_runs", params={"limit": 0})
    assert _conforms(document, "/api/flow_runs", "get", bad_query)["errors"][0]["loc"] == [
        "query",
        "limit",
    ]
    too_large = client.post(
        "/api/batch", content=b" " * (9 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert too_large.status_code == 413
    _conforms(document, "/api/batch", "post", too_large)
    unknown_route = client.get("/api/no/such/route")
    assert unknown_route.status_code == 404
    assert set(unknown_route.json()) == {"detail", "errors"}


def test_401_has_the_same_shape(authed) -> None:
    document = authed.get("/api/openapi.json").json()
    response = authed.get("/api/flow_runs", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    _conforms(document, "/api/flow_runs", "get", response)


def test_an_unknown_key_is_named_when_it_reads_as_a_field_name(client) -> None:
    typo = client.post("/api/saved_views", json={"name": "v", "query": {"flow_nmae": "etl"}})
    assert typo.status_code == 422
    assert typo.json()["errors"][0]["loc"] == ["body", "query", "flow_nmae"]
    hostile = client.post("/api/saved_views", json={"name": "v", "query": {"k" * 100_000: 1}})
    assert hostile.status_code == 422
    assert hostile.json()["errors"][0]["loc"] == ["body", "query", "<unknown key>"]
    assert len(hostile.content) < 1_000


def test_a_filter_naming_no_deployment_gets_the_declared_404(client, document) -> None:
    # A fuzzer found GET /api/flow_runs?deployment=image/svg+xml answering an undeclared 404.
    listed = client.get("/api/flow_runs", params={"deployment": "no-such/deployment"})
    assert listed.status_code == 404
    body = _conforms(document, "/api/flow_runs", "get", listed)
    assert "No deployment named 'no-such/deployment'" in body["detail"]
    bulk = client.post(
        "/api/flow_runs/bulk",
        json={"action": "cancel", "filter": {"deployment": "no-such/deployment"}, "dry_run": True},
    )
    assert bulk.status_code == 422, bulk.text  # a field of the body, named
    assert _conforms(document, "/api/flow_runs/bulk", "post", bulk)["errors"][0]["loc"] == [
        "body", "filter", "deployment",
    ]  # fmt: skip
