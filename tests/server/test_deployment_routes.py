"""The deployment, work-pool and worker routes: answers, refusals with the field named, and
claims that hand each run to one worker."""

from __future__ import annotations

import json
import time

from cadenza._times import epoch

SCHEDULE = {"interval": 60, "anchor_date": "2020-01-01T00:00:00Z", "timezone": "UTC"}


def _deployment(**extra: object) -> dict:
    return {"flow_name": "etl", "name": "nightly", "entrypoint": "flows.py:etl",
            "parameters": {"n": 1}, "parameter_schema": {"properties": {"n": {}}},
            "schedules": [{"schedule": SCHEDULE}], **extra}  # fmt: skip


def test_pools_and_deployments_round_trip(client) -> None:
    assert client.post("/api/work_pools", json={"name": "pool"}).status_code == 201
    again = client.post("/api/work_pools", json={"name": "pool"})
    assert again.status_code == 409 and "pool" in again.json()["detail"]
    created = client.post("/api/deployments", json=_deployment(work_pool_name="pool"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["full_name"] == "etl/nightly" and body["schedules"][0]["schedule"]["interval"] == 60
    updated = client.post("/api/deployments", json=_deployment(work_pool_name="pool", tags=["a"]))
    assert updated.status_code == 200 and updated.json()["id"] == body["id"]
    by_name = client.get("/api/deployments/name/etl/nightly").json()
    assert by_name["tags"] == ["a"]
    assert [d["id"] for d in client.get("/api/deployments").json()] == [body["id"]]
    paused = client.post(f"/api/deployments/{body['id']}/pause").json()
    assert paused["paused"] is True
    assert client.post(f"/api/deployments/{body['id']}/resume").json()["paused"] is False
    pool = client.get("/api/work_pools/pool").json()
    assert [q["name"] for q in pool["queues"]] == ["default"]
    assert client.delete(f"/api/deployments/{body['id']}").status_code == 200
    assert client.get(f"/api/deployments/{body['id']}").status_code == 404


def test_refusals_name_the_problem(client) -> None:
    missing = client.post("/api/deployments", json=_deployment(work_pool_name="nowhere"))
    assert missing.status_code == 404 and "nowhere" in missing.json()["detail"]
    bad = client.post("/api/deployments", json=_deployment(
        schedules=[{"schedule": {"cron": "61 * * * *"}}]))  # fmt: skip
    assert bad.status_code == 422 and "61 * * * *" in bad.text
    slash = client.post("/api/deployments", json=_deployment(name="a/b"))
    assert slash.status_code == 422 and "name" in slash.text
    ok = client.post("/api/deployments", json=_deployment()).json()
    unknown = client.post(f"/api/deployments/{ok['id']}/create_flow_run",
                          json={"parameters": {"bogus": 1}})  # fmt: skip
    assert unknown.status_code == 422 and "bogus" in unknown.text
    assert client.get("/api/deployments/name/etl/none").status_code == 404
    assert client.post("/api/work_pools/none/claim", json={"worker": "w"}).status_code == 404


def test_hostile_text_is_stored_as_given_where_it_can_be(client) -> None:
    odd = "caf\udce9 \x00 " + "x" * 1_000_000
    body = json.dumps(_deployment(description=odd, tags=[odd[:20]]))  # the surrogate escaped
    created = client.post("/api/deployments", content=body.encode(),
                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert created.status_code == 201, created.text[:500]
    stored = created.json()
    assert stored["description"].startswith("caf\\xe9")  # a lone surrogate, kept escaped
    assert len(stored["description"]) <= 1_000_100  # cut with a marker past a million


def test_runs_of_a_deployment_are_created_once_and_claimed_once(client) -> None:
    client.post("/api/work_pools", json={"name": "pool", "concurrency_limit": 3})
    spec = _deployment(work_pool_name="pool", schedules=[])
    deployment = client.post("/api/deployments", json=spec).json()
    first = client.post(f"/api/deployments/{deployment['id']}/create_flow_run",
                        json={"idempotency_key": "k", "parameters": {"n": 7}})  # fmt: skip
    second = client.post(f"/api/deployments/{deployment['id']}/create_flow_run",
                         json={"idempotency_key": "k"})  # fmt: skip
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["parameters"] == {"n": 7}
    for _ in range(4):
        client.post(f"/api/deployments/{deployment['id']}/create_flow_run", json={})
    claims = [client.post("/api/work_pools/pool/claim", json={"worker": w, "limit": 10}).json()
              for w in ("w1", "w2")]  # fmt: skip
    got = [r["id"] for c in claims for r in c["runs"]]
    assert len(got) == 3 and len(set(got)) == 3  # the pool's limit, each to one worker
    assert claims[0]["runs"][0]["deployment"]["entrypoint"] == "flows.py:etl"
    beat = client.post("/api/work_pools/pool/workers/heartbeat",
                       json={"name": "w1", "pid": 1, "hostname": "h"})  # fmt: skip
    assert beat.status_code == 200 and epoch(beat.json()["lease_expires"]) > time.time()
    workers = client.get("/api/work_pools/pool/workers").json()
    assert [(w["name"], w["status"]) for w in workers] == [("w1", "ONLINE")]
