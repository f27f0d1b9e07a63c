"""Automations on a real server (SQLite and PostgreSQL), end to end: flows fail, the automation
service fires, a real local HTTP receiver gets the notification — once per failure."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from automation_helpers import events_of, wait_for
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cadenza import flow
from cadenza._times import epoch
from cadenza.automations import (
    Automation,
    CallWebhook,
    EventTrigger,
    PauseDeployment,
    RunDeployment,
    SendNotification,
)
from cadenza.blocks.notifications import CustomWebhookNotificationBlock
from cadenza.blocks.webhook import Webhook


class Receiver:
    """What a path of the local HTTP receiver got, and when."""

    def __init__(self, httpserver: HTTPServer, path: str, status: int = 200) -> None:
        self.got: list[tuple[float, dict[str, Any]]] = []
        self.status = status
        httpserver.expect_request(path).respond_with_handler(self._handle)
        self.url = httpserver.url_for(path)

    def _handle(self, request: Request) -> Response:
        self.got.append((time.time(), request.get_json(silent=True) or {}))
        return Response("ok", status=self.status)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_flow(name: str, fail: bool) -> str:
    """Run a flow named `name` here (it reports to the server); its run id."""
    from cadenza.backends import get_backend

    @flow(name=name)
    def job() -> int:
        if fail:
            raise RuntimeError("the load failed")
        return 1

    state = job(return_state=True)
    get_backend().flush()
    return str(state.state_details.flow_run_id)


def test_a_failed_flow_run_notifies_once_per_failure_within_a_second(
    server: Any, client: Any, cleanup: list[str], httpserver: HTTPServer
):
    receiver = Receiver(httpserver, "/failures")
    block_id = CustomWebhookNotificationBlock(
        name="ops", url=receiver.url, json_data={"run": "{{body}}", "subject": "{{subject}}"}
    ).save(unique("ops"))
    flow_name = unique("nightly")
    automation = Automation(
        name="nightly failed",
        trigger=EventTrigger(
            expect={"cadenza.flow-run.Failed"},
            match_related={"cadenza.resource.id": f"cadenza.flow.{flow_name}"},
        ),
        actions=[
            SendNotification(
                block_document_id=block_id,
                subject="{{ automation.name }}",
                body="{{ flow_run.id }}",
            )
        ],
    ).create()
    cleanup.append(automation.id)

    failed = [run_flow(flow_name, fail=True) for _ in range(3)]
    run_flow(flow_name, fail=False)
    run_flow(unique("other"), fail=True)  # another flow's failure: not this automation's
    wait_for(lambda: len(receiver.got) >= 3)
    time.sleep(1.5)  # long enough for a second firing, were there one
    assert sorted(body["run"] for _, body in receiver.got) == sorted(failed)
    assert {body["subject"] for _, body in receiver.got} == {"nightly failed"}

    latencies = []
    for arrived, body in receiver.got:
        (transition,) = client.read_events(
            event=["cadenza.flow-run.Failed"], resource=[body["run"]]
        )["events"]
        latencies.append(arrived - epoch(transition["occurred"]))
    print(
        f"\n[{server.database_url.split(':')[0]}] failure -> webhook latency: "
        f"{', '.join(f'{x * 1000:.0f} ms' for x in latencies)}"
    )
    assert max(latencies) < 5.0
    recorded = [e["event"] for e in events_of(client, automation.id)]
    assert recorded.count("cadenza.automation.triggered") == 3
    assert recorded.count("cadenza.automation.action.executed") == 3


def test_a_proactive_trigger_fires_when_its_window_passes_without_the_event(
    server: Any, client: Any, cleanup: list[str], httpserver: HTTPServer
):
    receiver = Receiver(httpserver, "/quiet")
    block_id = Webhook(url=receiver.url).save(unique("quiet"))
    flow_name = unique("hourly")
    automation = Automation(
        name="no completed run",
        trigger=EventTrigger(
            posture="Proactive",
            within=3,
            expect={"cadenza.flow-run.Completed"},
            match_related={"cadenza.resource.id": f"cadenza.flow.{flow_name}"},
        ),
        actions=[CallWebhook(block_document_id=block_id, payload='{"why": "{{ reason }}"}')],
    ).create()
    cleanup.append(automation.id)
    run_id = run_flow(flow_name, fail=False)  # the window starts again from this run
    (done,) = client.read_events(event=["cadenza.flow-run.Completed"], resource=[run_id])["events"]

    wait_for(lambda: receiver.got, timeout=20)
    arrived, body = receiver.got[0]
    occurred = epoch(done["occurred"])  # the API answers ISO 8601
    assert occurred is not None and occurred + 3.0 <= arrived < occurred + 3.0 + 5.0
    assert body == {"why": "0 of 1 x cadenza.flow-run.Completed within 3 s"}
    time.sleep(1.0)
    assert len(receiver.got) == 1  # once per window


def test_a_failed_run_of_a_deployment_pauses_it_and_runs_another(
    server: Any, client: Any, cleanup: list[str]
):
    flow_name = unique("report")
    nightly = client.apply_deployment({"flow_name": flow_name, "name": "nightly"})
    fallback = client.apply_deployment({"flow_name": flow_name, "name": "fallback"})
    automation = Automation(
        name="stop nightly on failure",
        trigger=EventTrigger(
            expect={"cadenza.flow-run.Failed"},
            match_related={"cadenza.resource.id": f"cadenza.deployment.{nightly['id']}"},
        ),
        actions=[
            PauseDeployment(source="inferred"),
            RunDeployment(deployment_id=fallback["id"], parameters={}),
        ],
    ).create()
    cleanup.append(automation.id)

    run = client.create_flow_run_from_deployment(nightly["id"])
    for kind, name in (("RUNNING", "Running"), ("FAILED", "Failed")):
        client.set_state(
            run["id"],
            {
                "transition_id": name,
                "state": {"type": kind, "name": name, "timestamp": time.time()},
            },
        )

    wait_for(lambda: client.read_deployment(nightly["id"])["paused"])
    runs = wait_for(lambda: client.upcoming_deployment_runs(fallback["id"]))
    assert len(runs) == 1 and "automation" in runs[0]["tags"]
    paused = client.read_events(
        event=["cadenza.deployment.paused"], resource=[f"cadenza.deployment.{nightly['id']}"]
    )
    assert len(paused["events"]) == 1


def test_an_action_that_fails_is_retried_a_bounded_number_of_times_and_blocks_no_other(
    server: Any, client: Any, cleanup: list[str], httpserver: HTTPServer
):
    token = "s3cret-" + uuid.uuid4().hex
    broken = Receiver(httpserver, f"/broken/{token}", status=500)
    working = Receiver(httpserver, "/working")
    broken_id = Webhook(url=broken.url.replace(token, token)).save(unique("broken"))
    working_id = Webhook(url=working.url).save(unique("working"))
    flow_name = unique("flaky")
    automation = Automation(
        name="two hooks",
        trigger=EventTrigger(
            expect={"cadenza.flow-run.Failed"},
            match_related={"cadenza.resource.id": f"cadenza.flow.{flow_name}"},
        ),
        actions=[
            CallWebhook(block_document_id=broken_id),
            CallWebhook(block_document_id=working_id),
        ],
    ).create()
    cleanup.append(automation.id)
    run_flow(flow_name, fail=True)

    wait_for(lambda: working.got)
    failed = wait_for(
        lambda: [
            e
            for e in events_of(client, automation.id)
            if e["event"] == "cadenza.automation.action.failed"
        ],
        timeout=30,
    )
    payload = failed[0]["payload"]
    assert payload["action_index"] == 0 and payload["attempts"] == 3
    assert "HTTP 500" in payload["reason"] and token not in payload["reason"]
    assert 3 <= len(broken.got) <= 9  # the block's own retries, for each of the 3 attempts
    assert token not in server.log()
    executed = [
        e
        for e in events_of(client, automation.id)
        if e["event"] == "cadenza.automation.action.executed"
    ]
    assert [e["payload"]["action_index"] for e in executed] == [1]


def test_the_python_api_reads_disables_enables_and_deletes(
    server: Any, client: Any, cleanup: list[str]
):
    name = unique("api")
    created = Automation(name=name, trigger=EventTrigger(expect={"x.*"})).create()
    cleanup.append(created.id)
    read = Automation.read(name=name)
    assert read.id == created.id and read.trigger.expect == {"x.*"}
    assert read.disable() and Automation.read(id=created.id).enabled is False
    assert read.enable() and client.read_automation(created.id)["enabled"] is True
    read.description = "changed"
    read.update()
    assert Automation.read(id=created.id).description == "changed"
    assert read.delete() is True and read.delete() is False
    with pytest.raises(ValueError, match="not found"):
        Automation.read(id=created.id)


def test_a_collection_s_notification_block_is_sent_through_by_the_server(
    server: Any, client: Any, cleanup: list[str], httpserver: HTTPServer
):
    """The server finds cadenza-notify's Slack block through its entry point."""
    from cadenza_notify import SlackWebhook

    receiver = Receiver(httpserver, "/services/T0/B0/slack-token")
    block_id = SlackWebhook(url=receiver.url).save(unique("slack"))
    flow_name = unique("slacked")
    automation = Automation(
        name="tell slack",
        trigger=EventTrigger(
            expect={"cadenza.flow-run.Failed"},
            match_related={"cadenza.resource.id": f"cadenza.flow.{flow_name}"},
        ),
        actions=[
            SendNotification(
                block_document_id=block_id,
                subject="{{ automation.name }}",
                body="{{ flow_run.name }} failed",
            )
        ],
    ).create()
    cleanup.append(automation.id)
    run_id = run_flow(flow_name, fail=True)
    wait_for(lambda: receiver.got)
    name = client.get_flow_run(run_id)["name"]
    assert receiver.got[0][1] == {"text": f"*tell slack*\n{name} failed"}


def test_an_automation_that_no_longer_validates_is_skipped_and_stops_no_other(
    server: Any, client: Any, cleanup: list[str], httpserver: HTTPServer
):
    import sqlalchemy as sa

    broken = client.create_automation({"name": "broken", "trigger": {"expect": ["x"]}})
    cleanup.append(broken["id"])
    engine = sa.create_engine(server.database_url)
    with engine.begin() as conn:  # as a newer cadenza might have written it
        conn.execute(
            sa.text("UPDATE automations SET trigger = :t WHERE id = :i"),
            {"t": '{"type": "compound", "triggers": []}', "i": broken["id"]},
        )
    engine.dispose()
    receiver = Receiver(httpserver, "/still")
    block_id = Webhook(url=receiver.url).save(unique("still"))
    flow_name = unique("still")
    automation = Automation(
        name="still works",
        trigger=EventTrigger(
            expect={"cadenza.flow-run.Failed"},
            match_related={"cadenza.resource.id": f"cadenza.flow.{flow_name}"},
        ),
        actions=[CallWebhook(block_document_id=block_id)],
    ).create()
    cleanup.append(automation.id)
    run_flow(flow_name, fail=True)
    wait_for(lambda: receiver.got)
    assert "is skipped" in server.log()
