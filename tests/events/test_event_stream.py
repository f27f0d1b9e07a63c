"""The record's one event stream (`cadenza.store.event_stream`): state transitions read from
``run_states`` and deployment, work-pool and worker events from ``events``, filtered and paged
with one cursor — on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cadenza import flow, task
from cadenza.store import deployments, event_stream, work_pools
from cadenza.store.event_stream import Cursor, EventFilter
from cadenza.store.sql import SqlDatabase
from cadenza.store.urls import default_database_url, prepare


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, cadenza_home: Any) -> Iterator[SqlDatabase]:
    url = default_database_url() if request.param == "sqlite" else request.getfixturevalue("pg_url")
    prepare(url)
    database = SqlDatabase(url)
    yield database
    database.close()


def names(events: list[Any]) -> list[str]:
    return [e.event["event"] for e in events]


def everything(db: SqlDatabase, where: EventFilter = EventFilter(), page: int = 1000) -> list:
    """The whole stream, read forward `page` events at a time."""
    out: list[Any] = []
    cursor = Cursor()
    with db.read() as conn:
        while True:
            items, after = event_stream.read(conn, where, page, after=cursor)
            out.extend(items)
            if after == cursor:
                return out
            cursor = after


def test_deployments_work_pools_and_workers_emit_their_events(db: SqlDatabase):
    with db.write() as conn:
        work_pools.create_pool(conn, "pool")
        made = deployments.apply_deployment(
            conn,
            {"flow_name": "etl", "name": "nightly", "work_pool_name": "pool", "tags": ["prod"]},
        )
        deployments.apply_deployment(conn, {"flow_name": "etl", "name": "nightly"})  # no change
        deployments.apply_deployment(conn, {"flow_name": "etl", "name": "nightly", "version": "2"})
        deployments.set_paused(conn, made["id"], True)
        deployments.set_paused(conn, made["id"], False)
        work_pools.set_pool_paused(conn, "pool", True)
        work_pools.heartbeat_worker(conn, db.engine.dialect.name, "pool", "w1", 30, now=100.0)
        work_pools.heartbeat_worker(conn, db.engine.dialect.name, "pool", "w1", 30, now=110.0)
        work_pools.heartbeat_worker(conn, db.engine.dialect.name, "pool", "w1", 30, now=500.0)
        deployments.delete_deployment(conn, made["id"])
        work_pools.delete_pool(conn, "pool")
    stream = everything(db)
    assert names(stream) == [
        "cadenza.work-pool.created",
        "cadenza.deployment.created",
        "cadenza.deployment.updated",
        "cadenza.deployment.paused",
        "cadenza.deployment.resumed",
        "cadenza.work-pool.paused",
        "cadenza.worker.online",
        "cadenza.worker.online",  # the second after its lease lapsed
        "cadenza.deployment.deleted",
        "cadenza.work-pool.deleted",
    ]
    created = stream[1].event
    assert created["resource"] == {
        "cadenza.resource.id": f"cadenza.deployment.{made['id']}",
        "cadenza.resource.name": "nightly",
        "cadenza.flow-name": "etl",
    }
    assert {r["cadenza.resource.id"] for r in created["related"]} == {
        "cadenza.flow.etl",
        "cadenza.work-pool.pool",
        "cadenza.tag.prod",
    }
    assert stream[2].event["payload"] == {"updated_fields": ["version"]}
    online = stream[6].event
    assert online["resource"]["cadenza.resource.id"] == "cadenza.worker.pool/w1"


def run_some_flows() -> tuple[str, str]:
    """A flow with a tagged task, and a failing flow, on the embedded record: their run ids."""
    from cadenza.backends import get_backend

    @task(tags=["heavy"])
    def crunch(x: int) -> int:
        return x * 2

    @flow(name="good")
    def good() -> int:
        return crunch(2)

    @flow(name="bad")
    def bad() -> None:
        raise ValueError("boom")

    ok = good(return_state=True).state_details.flow_run_id
    failed = bad(return_state=True).state_details.flow_run_id
    get_backend().flush()
    return str(ok), str(failed)


def test_state_transitions_are_events_with_their_runs_labels(cadenza_home: Any):
    ok, failed = run_some_flows()
    db = SqlDatabase(default_database_url())
    stream = [e.event for e in everything(db)]
    db.close()
    assert [
        e["event"] for e in stream if e["resource"]["cadenza.resource.id"].endswith(failed)
    ] == ["cadenza.flow-run.Pending", "cadenza.flow-run.Running", "cadenza.flow-run.Failed"]
    failure = stream[-1]
    assert failure["resource"]["cadenza.state-type"] == "FAILED"
    assert "boom" in failure["resource"]["cadenza.state-message"]
    assert failure["payload"]["validated_state"]["name"] == "Failed"
    task_done = next(e for e in stream if e["event"] == "cadenza.task-run.Completed")
    related = {r["cadenza.resource.id"]: r["cadenza.resource.role"] for r in task_done["related"]}
    assert related == {
        "cadenza.flow.good": "flow",
        f"cadenza.flow-run.{ok}": "flow-run",
        "cadenza.tag.heavy": "tag",
    }
    assert task_done["resource"]["cadenza.task-name"] == "crunch"


def test_filters_select_by_name_resource_related_and_time(cadenza_home: Any):
    ok, failed = run_some_flows()
    db = SqlDatabase(default_database_url())
    with db.write() as conn:
        deployments.apply_deployment(conn, {"flow_name": "good", "name": "d"})

    def read(**criteria: Any) -> list[str]:
        return names(everything(db, EventFilter(**criteria)))

    assert read(prefixes=["cadenza.flow-run.Fail"]) == ["cadenza.flow-run.Failed"]
    assert read(prefixes=["cadenza.deployment."]) == ["cadenza.deployment.created"]
    assert (
        read(prefixes=["cadenza.task-run.", "cadenza.deployment."]).count(
            "cadenza.task-run.Completed"
        )
        == 1
    )
    assert len(read(resources=[failed])) == 3 == len(read(resources=[f"cadenza.flow-run.{failed}"]))
    assert read(resources=[f"cadenza.task-run.{failed}"]) == []
    assert read(related=["cadenza.tag.heavy"]) == [
        "cadenza.task-run.Pending",
        "cadenza.task-run.Running",
        "cadenza.task-run.Completed",
    ]
    assert len(read(related=[f"cadenza.flow-run.{ok}"])) == 3  # its task run's transitions
    assert names(everything(db, EventFilter(related=["cadenza.flow.bad"]))) == [
        "cadenza.flow-run.Pending",
        "cadenza.flow-run.Running",
        "cadenza.flow-run.Failed",
    ]
    assert read(since=time.time() + 60) == [] and read(until=0) == []
    db.close()


def test_paging_forward_sees_each_event_once_and_newest_first_gives_the_head(cadenza_home: Any):
    run_some_flows()
    db = SqlDatabase(default_database_url())
    with db.write() as conn:
        deployments.apply_deployment(conn, {"flow_name": "good", "name": "d"})
    whole = everything(db)
    paged = everything(db, page=2)
    assert [e.event["id"] for e in paged] == [e.event["id"] for e in whole]
    assert len({e.event["id"] for e in whole}) == len(whole) == 10
    with db.read() as conn:
        newest, head = event_stream.read(conn, EventFilter(), 3)
        assert head == event_stream.head(conn)
        later, cursor = event_stream.read(conn, EventFilter(), 10, after=head)
    assert names(newest)[0] == "cadenza.deployment.created" and later == [] and cursor == head
    with pytest.raises(ValueError, match="two non-negative integers"):
        Cursor.parse("12")
    assert Cursor.parse(str(head)) == head
    db.close()
