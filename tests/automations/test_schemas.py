"""The automation models refuse what they cannot mean, naming the field, and keep Prefect 3's
names and shapes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from cadenza.automations import (
    Automation,
    CancelFlowRun,
    EventTrigger,
    PauseDeployment,
    Posture,
    RunDeployment,
    SendNotification,
)
from cadenza.automations.schemas import AutomationCore


def test_an_automation_dumps_to_json_with_seconds_and_reads_back():
    automation = Automation(
        name="late",
        trigger=EventTrigger(
            expect={"cadenza.flow-run.Completed"},
            posture=Posture.Proactive,
            within=timedelta(hours=2),
        ),
        actions=[CancelFlowRun(), SendNotification(block_document_id="b", body="x")],
    )
    data = automation.model_dump(mode="json", exclude={"id"})
    assert data["trigger"]["within"] == 7200.0 and data["trigger"]["posture"] == "Proactive"
    assert [a["type"] for a in data["actions"]] == ["cancel-flow-run", "send-notification"]
    assert AutomationCore.model_validate(data).trigger.within == timedelta(hours=2)
    assert EventTrigger(within="PT30M").within == timedelta(minutes=30)


def test_a_proactive_trigger_has_a_window_of_at_least_a_second():
    assert EventTrigger(posture="Proactive").within == timedelta(seconds=10)  # as Prefect
    with pytest.raises(ValidationError, match="at least 1 second"):
        EventTrigger(posture="Proactive", within=0.5)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"trigger": {"expect": "cadenza.flow-run.Failed", "typo": 1}}, "Extra inputs"),
        ({"trigger": {"type": "sequence"}}, "'event'"),
        ({"trigger": {"type": "compound"}}, "trigger.triggers"),
        ({"trigger": {"type": "compound", "triggers": [{}], "require": 2}}, "only 1 triggers"),
        ({"trigger": {"type": "compound", "triggers": [{"threshold": 0}]}}, "triggers.0.threshold"),
        ({"trigger": {"threshold": 0}}, "greater than or equal to 1"),
        ({"trigger": {"within": -1}}, "greater than or equal to 0"),
        ({"trigger": {"posture": "Sometimes"}}, "'Reactive' or 'Proactive'"),
        ({"actions": [{"type": "launch-rockets"}]}, "unknown action type"),
        ({"actions": [{"type": "pause-deployment"}]}, "deployment_id is required"),
        ({"actions": [{"type": "send-notification", "body": "x"}]}, "block_document_id"),
        ({"name": "x" * 1_000_000}, "at most 200 characters"),
        ({"name": "bad\ud800name"}, "lone surrogates"),
        ({"trigger": {"expect": ["a\x00b"]}}, "control characters"),
    ],
)
def test_hostile_definitions_are_refused_naming_the_problem(data: dict, problem: str):
    spec = {"name": "n", "trigger": {}, **data}
    with pytest.raises(ValidationError, match=problem) as caught:
        AutomationCore.model_validate(spec)
    assert "x" * 1000 not in str(caught.value)  # the input is never repeated


def test_a_deployment_action_names_its_deployment_or_infers_it():
    assert PauseDeployment(source="inferred").deployment_id is None
    assert RunDeployment(deployment_id="d", parameters={"n": 1}).source == "selected"
    with pytest.raises(ValidationError, match="not allowed"):
        PauseDeployment(source="inferred", deployment_id="d")


def test_without_a_server_the_python_api_says_where_automations_live(monkeypatch):
    monkeypatch.delenv("CADENZA_API_URL", raising=False)
    with pytest.raises(Exception, match="live on a cadenza server"):
        Automation(name="x", trigger=EventTrigger()).create()
