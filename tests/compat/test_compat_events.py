"""`emit_event` and automations as Prefect's documentation uses them (``prefect.events``):
custom events recorded in the embedded record and on a real server, the run they were emitted
in related to them, and a custom event firing an automation's `EventTrigger` end to end."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from backends.server_process import ServerProcess
from cadenza import flow, task
from cadenza.events import Event, emit_event
from cadenza.exceptions import EventTooLarge


def stored_events(home: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(home / "cadenza.db") as conn:
        rows = conn.execute(
            "SELECT id, event, resource_id, resource, related, payload FROM events ORDER BY seq"
        ).fetchall()
    return [
        {"id": r[0], "event": r[1], "resource_id": r[2], "resource": json.loads(r[3]),
         "related": json.loads(r[4]), "payload": json.loads(r[5])}
        for r in rows
    ]  # fmt: skip


# -- embedded --------------------------------------------------------------------------------------


def test_a_custom_event_as_the_docs_emit_it_is_recorded(cadenza_home: Path) -> None:
    # Prefect 3.9.1: emit_event returns the Event it sent (a UUID id, `occurred` now in UTC);
    # prefect.resource.* labels name the resource.
    def some_function(name: str = "kiki") -> Event | None:
        print(f"hi {name}!")
        return emit_event(
            event=f"{name}.sent.event!",
            resource={"prefect.resource.id": f"coder.{name}", "prefect.resource.name": name},
            payload={"greeting": "hi"},
        )

    sent = some_function()
    assert isinstance(sent, Event) and isinstance(sent.id, uuid.UUID)
    assert sent.resource.id == "coder.kiki" and sent.resource["prefect.resource.id"] == "coder.kiki"
    assert abs(sent.occurred - datetime.now(timezone.utc)) < timedelta(seconds=30)
    (row,) = stored_events(cadenza_home)
    assert row["id"] == str(sent.id) and row["event"] == "kiki.sent.event!"
    assert row["resource"] == {"cadenza.resource.id": "coder.kiki", "cadenza.resource.name": "kiki"}
    assert row["payload"] == {"greeting": "hi"} and row["related"] == []


def test_an_invalid_event_is_logged_and_none_is_returned(cadenza_home: Path, caplog) -> None:
    # Prefect 3.9.1: a resource without prefect.resource.id, a related resource without a role, a
    # resource that is not a dict or a label that is not text: the validation error is logged
    # ("Error emitting event: ...") and emit_event returns None; nothing is sent.
    with caplog.at_level(logging.ERROR, logger="cadenza.events"):
        assert emit_event("my.event", {"foo": "bar"}) is None
        assert emit_event("my.event", "abc") is None  # type: ignore[arg-type]  # under test
        bad_label = {"prefect.resource.id": "r", "n": 5}  # a label that is not text
        assert emit_event("my.event", bad_label) is None  # type: ignore[arg-type]  # under test
        assert (
            emit_event(
                "my.event", {"prefect.resource.id": "r"}, related=[{"prefect.resource.id": "x"}]
            )
            is None
        )
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 4
    assert "resource: Resources must include a non-empty cadenza.resource.id" in messages[0]
    assert "related.0: Related resources must include" in messages[3]
    assert stored_events(cadenza_home) == []


def test_an_event_over_the_size_limit_raises(cadenza_home: Path) -> None:
    # Prefect 3.9.1: an event larger than the server's maximum (1.5 MB there; 512 KiB here)
    # raises EventTooLarge from emit_event instead of being logged.
    with pytest.raises(EventTooLarge, match="Event is too large to emit"):
        emit_event("big", {"prefect.resource.id": "r"}, payload={"blob": "x" * 1_000_000})
    assert stored_events(cadenza_home) == []


def test_extra_keywords_are_ignored_and_follows_is_kept_when_close(cadenza_home: Path) -> None:
    # Prefect 3.9.1: unknown keyword arguments are ignored; `follows` takes the preceding
    # event's id when the two are less than 5 minutes apart, and is dropped otherwise.
    first = emit_event("a", {"prefect.resource.id": "r"}, extra_kw=1)
    assert first is not None
    second = emit_event("b", {"prefect.resource.id": "r"}, follows=first)
    late = emit_event("c", {"prefect.resource.id": "r"}, follows=first,
                      occurred=first.occurred + timedelta(minutes=10))  # fmt: skip
    assert second is not None and second.follows == first.id
    assert late is not None and late.follows is None
    assert [e["event"] for e in stored_events(cadenza_home)] == ["a", "b", "c"]


def test_events_emitted_in_a_flow_and_a_task_relate_their_runs(cadenza_home: Path) -> None:
    # Prefect 3.9.1: inside a run the event's related resources gain the flow run, the task run
    # (in a task), the flow and the runs' tags (role "tag"), after those the caller gave.
    @task(tags=["nightly"])
    def load() -> Event | None:
        return emit_event("acme.loaded", {"prefect.resource.id": "acme.table.orders"})

    @flow(name="etl-events")
    def etl() -> tuple[Event | None, Event | None]:
        given = [{"prefect.resource.id": "acme.db", "prefect.resource.role": "database"}]
        started = emit_event("acme.started", {"prefect.resource.id": "acme.job"}, related=given)
        return started, load()

    started, loaded = etl()
    assert started is not None and loaded is not None
    flow_run = started.related[1]
    assert [r.role for r in started.related] == ["database", "flow-run", "flow"]
    assert flow_run.id.startswith("cadenza.flow-run.") and flow_run.name
    assert started.related[2].id == "cadenza.flow.etl-events"
    assert [r.role for r in loaded.related] == ["flow-run", "task-run", "flow", "tag"]
    assert loaded.related[0].id == flow_run.id
    assert loaded.related[3].id == "cadenza.tag.nightly"
    rows = {e["event"]: e for e in stored_events(cadenza_home)}
    assert rows["acme.loaded"]["related"] == [dict(r.root) for r in loaded.related]


@task(tags=["remote"])
def emit_in_a_worker(n: int) -> str:
    sent = emit_event(f"acme.worker.{n}", {"prefect.resource.id": f"acme.item.{n}"})
    assert sent is not None
    return str(sent.id)


def test_an_event_emitted_in_a_process_pool_task_is_recorded_by_its_flow(
    cadenza_home: Path,
) -> None:
    # Prefect 3.9.1: events emitted in a ProcessPoolTaskRunner's worker are forwarded to the
    # parent process and sent from there, related to the task run.
    from cadenza.task_runners import ProcessPoolTaskRunner

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def fan() -> list[str]:
        return [f.result() for f in emit_in_a_worker.map(range(2))]

    ids = fan()
    rows = {e["id"]: e for e in stored_events(cadenza_home)}
    assert set(ids) <= set(rows)
    roles = [r["cadenza.resource.role"] for r in rows[ids[0]]["related"]]
    assert roles == ["flow-run", "task-run", "flow", "tag"]


# -- a real server ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def events_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose automation service runs every 0.2 s."""
    home = tmp_path_factory.mktemp("events-server")
    env = {"CADENZA_SERVER_AUTOMATIONS_INTERVAL": "0.2"}
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home, env=env).start()
    yield server
    server.stop()


def _reset() -> None:
    from cadenza.backends import reset_backend
    from cadenza.client.remote import reset_remote
    from cadenza.settings import spec

    spec.reset_cache()
    reset_backend()
    reset_remote()


@pytest.fixture
def on_server(events_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """This process reports to `events_server`; yields an API client of it."""
    from cadenza.client.http import ApiClient

    monkeypatch.setenv("CADENZA_API_URL", events_server.url)
    monkeypatch.delenv("CADENZA_API_KEY", raising=False)
    _reset()
    with ApiClient(events_server.url) as client:
        yield client
    _reset()


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.1)
    return value


def server_events(client: Any, prefix: str, **filters: Any) -> list[dict[str, Any]]:
    return list(reversed(client.read_events(event=[prefix], limit=1000, **filters)["events"]))


@pytest.mark.integration
def test_emit_event_reaches_a_server(on_server: Any) -> None:
    # Prefect 3.9.1: with PREFECT_API_URL set, emit_event sends the event to that server, where
    # it is read back with the labels it was sent with.
    name = f"acme.{uuid.uuid4().hex[:8]}"

    @flow(name="emits")
    def emits() -> Event | None:
        return emit_event(f"{name}.inside", {"prefect.resource.id": "acme.thing"})

    outside = emit_event(f"{name}.outside", {"prefect.resource.id": "acme.thing"}, payload={"n": 1})
    inside = emits()
    assert outside is not None and inside is not None
    got = {e["event"]: e for e in server_events(on_server, name)}
    assert got[f"{name}.outside"]["id"] == str(outside.id)
    assert got[f"{name}.outside"]["payload"] == {"n": 1}
    assert got[f"{name}.inside"]["resource"] == {"cadenza.resource.id": "acme.thing"}
    roles = [r["cadenza.resource.role"] for r in got[f"{name}.inside"]["related"]]
    assert roles == ["flow-run", "flow"]

    # the client's method for the ingestion route (an API user's, not a flow's): kept once per id
    direct = Event(event=f"{name}.direct", resource={"prefect.resource.id": "acme.thing"})
    assert on_server.emit_events([direct.model_dump(mode="json")]) == {"stored": 1, "duplicates": 0}
    assert on_server.emit_events([direct.model_dump(mode="json")]) == {"stored": 0, "duplicates": 1}
    assert [e["id"] for e in server_events(on_server, f"{name}.direct")] == [str(direct.id)]


@pytest.mark.integration
def test_a_custom_event_fires_an_automation(on_server: Any) -> None:
    # Prefect 3.9.1 (docs, "Custom triggers"): an EventTrigger expecting a custom event name and
    # matching the resource's labels fires once `threshold` such events arrive; here the
    # automation is written with Prefect's import paths and prefect.resource.* labels.
    from cadenza.events.actions import DoNothing
    from cadenza.events.schemas.automations import Automation, EventTrigger

    walked = f"animal.{uuid.uuid4().hex[:8]}.walked"
    automation = Automation(
        name="woodchonk",
        trigger=EventTrigger(
            expect={walked},
            match={"prefect.resource.id": "woodchuck*", "genus": "Marmota", "species": "monax"},
            posture="Reactive",
            threshold=3,
            within=60,
        ),
        actions=[DoNothing()],
    ).create()
    try:
        marmot = {"prefect.resource.id": "woodchuck.1", "genus": "Marmota", "species": "monax"}
        squirrel = {"prefect.resource.id": "woodchuck.2", "genus": "Sciurus"}
        for _ in range(2):
            emit_event(walked, resource=marmot)
        emit_event(walked, resource=squirrel)  # not matched: no firing at three events
        time.sleep(1.5)  # several rounds of the automation service
        mine = {"resource": [f"cadenza.automation.{automation.id}"]}
        assert server_events(on_server, "cadenza.automation.triggered", **mine) == []

        emit_event(walked, resource=marmot)  # the third matching one
        (firing,) = wait_for(
            lambda: server_events(on_server, "cadenza.automation.triggered", **mine)
        )
        assert firing["payload"]["triggering_event"]["event"] == walked
    finally:
        automation.delete()


@pytest.mark.integration
def test_events_emitted_while_the_server_is_down_are_journaled_then_delivered(
    events_server: ServerProcess, on_server: Any, cadenza_home: Path, monkeypatch
) -> None:
    # Prefect 3.9.1 keeps events in memory and drops them if the process exits before the
    # server answers; here they go to the journal, as the runs' records do, and are replayed.
    import cadenza.backends.http as http_backend
    from cadenza.backends import get_backend

    monkeypatch.setattr(http_backend, "DEFAULT_RETRY_TIME", 0.5)
    _reset()
    name = f"outage.{uuid.uuid4().hex[:8]}"
    backend = get_backend()
    events_server.stop()
    try:
        sent = emit_event(f"{name}.during", {"prefect.resource.id": "acme.thing"})
        assert sent is not None
        journals = list((cadenza_home / "spool").glob("*.jsonl"))
        assert journals and str(sent.id) in "".join(p.read_text() for p in journals)
    finally:
        events_server.start()
    backend.flush()  # the server answers again: the journal is replayed
    (got,) = wait_for(lambda: server_events(on_server, name))
    assert got["id"] == str(sent.id)


@pytest.mark.integration
def test_custom_events_pause_and_resume_a_work_pool(on_server: Any) -> None:
    # Prefect 3.9.1: PauseWorkPool / ResumeWorkPool pause the selected pool (`work_pool_id`), or
    # with source="inferred" the pool the triggering event relates to (cadenza names its pools,
    # so `work_pool_id` holds the name).
    from cadenza.events import Automation, EventTrigger, PauseWorkPool, ResumeWorkPool

    tag = uuid.uuid4().hex[:8]
    pool = f"pool-{tag}"
    on_server.create_work_pool(pool, type="process")
    pause = Automation(name="pause pool", trigger=EventTrigger(expect={f"acme.{tag}.overloaded"}),
                       actions=[PauseWorkPool(work_pool_id=pool)]).create()  # fmt: skip
    resume = Automation(name="resume pool", trigger=EventTrigger(expect={f"acme.{tag}.calm"}),
                        actions=[ResumeWorkPool(source="inferred")]).create()  # fmt: skip
    try:
        emit_event(f"acme.{tag}.overloaded", {"prefect.resource.id": "acme.cluster"})
        wait_for(lambda: on_server.read_work_pool(pool)["paused"])
        the_pool = {"prefect.resource.id": f"cadenza.work-pool.{pool}",
                    "prefect.resource.role": "work-pool"}  # fmt: skip
        emit_event(f"acme.{tag}.calm", {"prefect.resource.id": "acme.cluster"}, related=[the_pool])
        wait_for(lambda: not on_server.read_work_pool(pool)["paused"])
    finally:
        pause.delete()
        resume.delete()


@pytest.mark.integration
def test_custom_events_pause_and_resume_an_automation(on_server: Any) -> None:
    # Prefect 3.9.1: PauseAutomation disables the selected automation (`automation_id`);
    # ResumeAutomation with source="inferred" enables the automation the event is about.
    from cadenza.events import (
        Automation,
        DoNothing,
        EventTrigger,
        PauseAutomation,
        ResumeAutomation,
    )

    tag = uuid.uuid4().hex[:8]
    target = Automation(name="target", trigger=EventTrigger(expect={f"acme.{tag}.x"}),
                        actions=[DoNothing()]).create()  # fmt: skip
    stop = Automation(name="stop", trigger=EventTrigger(expect={f"acme.{tag}.stop"}),
                      actions=[PauseAutomation(automation_id=target.id)]).create()  # fmt: skip
    start = Automation(name="start", trigger=EventTrigger(expect={f"acme.{tag}.start"}),
                       actions=[ResumeAutomation(source="inferred")]).create()  # fmt: skip
    try:
        emit_event(f"acme.{tag}.stop", {"prefect.resource.id": "acme.ops"})
        wait_for(lambda: not Automation.read(id=target.id).enabled)
        emit_event(f"acme.{tag}.start", {"prefect.resource.id": f"cadenza.automation.{target.id}"})
        wait_for(lambda: Automation.read(id=target.id).enabled)
    finally:
        for automation in (target, stop, start):
            automation.delete()


@pytest.mark.integration
def test_a_trigger_written_with_prefect_s_event_names_fires(on_server: Any) -> None:
    # Prefect 3.9.1: built-in events are named prefect.flow-run.<state> and relate the flow as
    # prefect.flow.<id>; a trigger written with those names (a flow's id is its name here) fires
    # on cadenza's cadenza.flow-run.Failed events.
    from cadenza.events import Automation, DoNothing, EventTrigger

    flow_name = f"prefect-names-{uuid.uuid4().hex[:8]}"
    automation = Automation(
        name="failures",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed"},
            match_related={
                "prefect.resource.role": "flow",
                "prefect.resource.id": f"prefect.flow.{flow_name}",
            },
        ),
        actions=[DoNothing()],
    ).create()

    @flow(name=flow_name)
    def breaks() -> None:
        raise RuntimeError("the load failed")

    try:
        breaks(return_state=True)
        from cadenza.backends import get_backend

        get_backend().flush()
        mine = {"resource": [f"cadenza.automation.{automation.id}"]}
        (firing,) = wait_for(
            lambda: server_events(on_server, "cadenza.automation.triggered", **mine)
        )
        assert firing["payload"]["triggering_event"]["event"] == "cadenza.flow-run.Failed"
    finally:
        automation.delete()


@pytest.mark.integration
def test_a_completed_flow_run_is_deleted_by_an_automation(on_server: Any) -> None:
    # Prefect 3.9.1: DeleteFlowRun deletes the flow run the triggering event is about.
    from cadenza.client.errors import NotFound
    from cadenza.events import Automation, DeleteFlowRun, EventTrigger

    flow_name = f"throwaway-{uuid.uuid4().hex[:8]}"
    automation = Automation(
        name="clean up",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Completed"},
            match_related={"prefect.resource.id": f"prefect.flow.{flow_name}"},
        ),
        actions=[DeleteFlowRun()],
    ).create()

    @flow(name=flow_name)
    def throwaway() -> int:
        return 1

    def gone(run_id: str) -> bool:
        try:
            on_server.get_flow_run(run_id)
        except NotFound:
            return True
        return False

    try:
        state = throwaway(return_state=True)
        from cadenza.backends import get_backend

        get_backend().flush()
        run_id = str(state.state_details.flow_run_id)
        mine = {"resource": [f"cadenza.automation.{automation.id}"]}
        (done,) = wait_for(
            lambda: server_events(on_server, "cadenza.automation.action.executed", **mine)
        )
        assert done["payload"]["result"] == {"flow_run_id": run_id}
        assert gone(run_id)
    finally:
        automation.delete()


@pytest.mark.integration
def test_a_compound_trigger_fires_when_all_its_triggers_have(on_server: Any) -> None:
    # Prefect 3.9.1: a CompoundTrigger with require="all" fires once each of its triggers has
    # fired within `within`; one of them alone does not fire it.
    from cadenza.events import Automation, CompoundTrigger, DoNothing, EventTrigger

    tag = uuid.uuid4().hex[:8]
    automation = Automation(
        name="both",
        trigger=CompoundTrigger(
            require="all",
            within=60,
            triggers=[
                EventTrigger(expect={f"acme.{tag}.extracted"}),
                EventTrigger(expect={f"acme.{tag}.validated"}, threshold=2),
            ],
        ),
        actions=[DoNothing()],
    ).create()
    mine = {"resource": [f"cadenza.automation.{automation.id}"]}
    try:
        emit_event(f"acme.{tag}.extracted", {"prefect.resource.id": "acme.batch.1"})
        emit_event(f"acme.{tag}.validated", {"prefect.resource.id": "acme.batch.1"})
        time.sleep(1.5)  # several rounds: the second trigger has seen one of its two events
        assert server_events(on_server, "cadenza.automation.triggered", **mine) == []

        emit_event(f"acme.{tag}.validated", {"prefect.resource.id": "acme.batch.1"})
        (firing,) = wait_for(
            lambda: server_events(on_server, "cadenza.automation.triggered", **mine)
        )
        assert firing["payload"]["reason"] == "2 of 2 triggers fired"
        assert firing["payload"]["triggering_event"]["event"] == f"acme.{tag}.validated"
    finally:
        automation.delete()


def test_triggers_on_a_deployment_are_reported_not_silently_dropped() -> None:
    # Prefect 3.9.1: triggers=[DeploymentEventTrigger(...)] creates an automation; Cadenza does
    # not, and says so rather than ignoring them quietly
    import pytest

    from cadenza import flow
    from cadenza.events import EventTrigger

    @flow
    def nightly() -> None:
        pass

    trigger = EventTrigger(expect=["cadenza.flow-run.Completed"], threshold=1)
    with pytest.warns(UserWarning, match="triggers= is not supported; its 1 trigger"):
        nightly.to_deployment(name="with-trigger", triggers=[trigger])
