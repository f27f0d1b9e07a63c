"""When a trigger fires (`cadenza.server.triggers.evaluate`), on made-up events: Reactive counts
and windows, Proactive windows with and without `after`, `for_each`, and which events an
automation has already seen."""

from __future__ import annotations

from typing import Any

import pytest

from cadenza.automations.schemas import EventTrigger
from cadenza.server.triggers import Seen, due, evaluate
from cadenza.store.event_stream import Cursor, StreamEvent

_position = iter(range(1, 10**9))


def event(name: str, at: float, run: str = "r1", deployment: str = "d1") -> StreamEvent:
    position = next(_position)
    return StreamEvent(
        "state",
        position,
        {
            "id": f"rs-{position}",
            "event": name,
            "occurred": at,
            "resource": {
                "cadenza.resource.id": f"cadenza.flow-run.{run}",
                "cadenza.resource.name": run,
            },
            "related": [
                {
                    "cadenza.resource.id": f"cadenza.deployment.{deployment}",
                    "cadenza.resource.role": "deployment",
                }
            ],
            "payload": {},
        },
    )


def fire(
    trigger: EventTrigger, evaluation: dict[str, Any], *items: StreamEvent, now: float = 0.0
) -> list[str]:
    return [f.reason for f in evaluate(trigger, evaluation, list(items), now)]


def test_a_reactive_trigger_fires_on_each_matching_event_about_its_resources():
    trigger = EventTrigger(
        expect={"cadenza.flow-run.Failed"},
        match_related={"cadenza.resource.id": "cadenza.deployment.d1"},
    )
    state: dict[str, Any] = {}
    fired = evaluate(
        trigger,
        state,
        [
            event("cadenza.flow-run.Failed", 1),
            event("cadenza.flow-run.Completed", 2),
            event("cadenza.flow-run.Failed", 3, deployment="other"),
            event("cadenza.flow-run.Failed", 4, run="r2"),
        ],
        now=5,
    )
    assert [f.event["resource"]["cadenza.resource.name"] for f in fired] == ["r1", "r2"]
    assert len({f.key for f in fired}) == 2  # each firing has its own id


def test_a_wildcard_and_a_negated_label_select_events_as_prefect_does():
    trigger = EventTrigger(expect={"cadenza.flow-run.*"}, match={"cadenza.resource.name": "!r2"})
    items = [
        event("cadenza.flow-run.Running", 1),
        event("cadenza.flow-run.Running", 2, "r2"),
        event("cadenza.task-run.Running", 3),
    ]
    assert len(fire(trigger, {}, *items)) == 1


def test_a_threshold_within_a_window_needs_that_many_events_in_it():
    trigger = EventTrigger(expect={"cadenza.flow-run.Failed"}, threshold=3, within=10)
    state: dict[str, Any] = {}
    assert (
        fire(
            trigger, state, event("cadenza.flow-run.Failed", 0), event("cadenza.flow-run.Failed", 5)
        )
        == []
    )
    # the third comes after the window of the first: counting starts again from it
    assert fire(trigger, state, event("cadenza.flow-run.Failed", 11)) == []
    assert fire(
        trigger, state, event("cadenza.flow-run.Failed", 12), event("cadenza.flow-run.Failed", 13)
    ) == ["3 x cadenza.flow-run.Failed"]
    assert state["buckets"] == {}  # fired: the count starts over


def test_for_each_counts_each_resource_apart():
    trigger = EventTrigger(
        expect={"cadenza.flow-run.Failed"}, threshold=2, for_each={"cadenza.resource.id"}
    )
    state: dict[str, Any] = {}
    assert (
        fire(
            trigger,
            state,
            event("cadenza.flow-run.Failed", 1, "a"),
            event("cadenza.flow-run.Failed", 2, "b"),
        )
        == []
    )
    assert len(fire(trigger, state, event("cadenza.flow-run.Failed", 3, "a"))) == 1


def test_a_proactive_trigger_fires_when_its_window_passes_without_the_event():
    trigger = EventTrigger(expect={"cadenza.flow-run.Completed"}, posture="Proactive", within=60)
    state: dict[str, Any] = {"started": 100.0}
    assert not due(trigger, state, 159) and due(trigger, state, 160)
    assert fire(trigger, state, now=159) == []
    # an expected event opens a new window from when it happened
    assert fire(trigger, state, event("cadenza.flow-run.Completed", 150), now=170) == []
    assert fire(trigger, state, now=209) == []
    fired = fire(trigger, state, now=211)
    assert fired == ["0 of 1 x cadenza.flow-run.Completed within 60 s"]
    assert fire(trigger, state, now=212) == []  # once per window: the next one opens now
    assert len(fire(trigger, state, now=272)) == 1


def test_a_run_in_running_too_long_fires_once_for_that_run():
    trigger = EventTrigger(
        posture="Proactive",
        after={"cadenza.flow-run.Running"},
        expect={"cadenza.flow-run.*"},
        for_each={"cadenza.resource.id"},
        within=1800,
    )
    state: dict[str, Any] = {}
    fire(
        trigger,
        state,
        event("cadenza.flow-run.Running", 0, "slow"),
        event("cadenza.flow-run.Running", 10, "quick"),
        event("cadenza.flow-run.Completed", 20, "quick"),
        now=30,
    )
    assert list(state["buckets"]) == ["cadenza.flow-run.slow"]
    fired = evaluate(trigger, state, [], now=1801)
    assert [f.event["resource"]["cadenza.resource.name"] for f in fired] == ["slow"]
    assert evaluate(trigger, state, [], now=4000) == []


def test_an_automation_never_evaluates_an_event_twice():
    seen = Seen({"cursor": [10, 3]})
    old, new, other = (
        StreamEvent("state", 10, {}),
        StreamEvent("state", 11, {}),
        StreamEvent("event", 4, {}),
    )
    assert not seen.is_new(old) and seen.is_new(new) and seen.is_new(other)
    seen.add([new, other])
    assert not seen.is_new(new) and not seen.is_new(other)
    # above the settled head a late row may still commit: the cursor waits, what was seen stays
    seen.advance(Cursor(10, 5))
    assert seen.evaluation["cursor"] == [10, 5] and seen.evaluation["recent"] == [[0, 11]]
    assert not Seen(seen.evaluation).is_new(new)
    assert Seen(seen.evaluation).is_new(StreamEvent("state", 12, {}))


@pytest.mark.parametrize("posture", ["Reactive", "Proactive"])
def test_an_after_event_arms_the_trigger(posture: str):
    trigger = EventTrigger(
        posture=posture,
        after={"cadenza.flow-run.Pending"},
        expect={"cadenza.flow-run.Running"},
        within=60,
    )
    state: dict[str, Any] = {}
    got = fire(trigger, state, event("cadenza.flow-run.Running", 1), now=2)
    assert got == []  # not armed yet
    got = fire(
        trigger,
        state,
        event("cadenza.flow-run.Pending", 3),
        event("cadenza.flow-run.Running", 4),
        now=5,
    )
    assert len(got) == (1 if posture == "Reactive" else 0)
