"""Deciding when an automation's trigger fires, from the events it has not seen yet and the
clock (`cadenza.automations.schemas.EventTrigger` says what each posture means).

`evaluate` works on the automation's ``evaluation`` (a JSON dict kept in its row): ``cursor``
and ``recent`` say which events it has seen (`Seen`), ``buckets`` what it is counting — one
bucket per `for_each` key: when it opened (``start``), how many expected events it has counted
(``count``), and the event that opened it (``event``, for the actions). The service
(`cadenza.server.automations`) calls it with the row locked, so one evaluation of one automation
runs at a time however many server processes there are; each firing's id is derived from what
fired it, so the same firing can never be recorded twice either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cadenza.automations.matching import bucket_key, covers, expects, starts_after
from cadenza.automations.schemas import CompoundTrigger, EventTrigger
from cadenza.store.event_stream import Cursor, StreamEvent

MAX_BUCKETS = 10_000
"""Separate evaluations (`for_each` keys) an automation keeps; the oldest are dropped beyond."""
MAX_RECENT = 10_000
_SOURCES = {"state": 0, "event": 1}


@dataclass(frozen=True)
class Firing:
    """The trigger fired: `key` names the firing (its id is made from it), `event` is the
    event that fired it (or, for a Proactive trigger, the one that opened the window)."""

    key: str
    event: dict[str, Any] | None
    reason: str

    def event_id(self, automation_id: str) -> str:
        digest = hashlib.sha256(self.key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"cadenza.automation.{automation_id}.triggered.{digest}"


class Seen:
    """Which stream events an automation has evaluated: every one at or below ``cursor`` (per
    table), and the positions in ``recent`` above it (on PostgreSQL a transaction may commit a
    row below one already read, so the cursor trails the head by a grace period)."""

    def __init__(self, evaluation: dict[str, Any]) -> None:
        self.evaluation = evaluation
        self.cursor = Cursor(*evaluation.get("cursor", (0, 0)))
        self.recent = {tuple(p) for p in evaluation.get("recent", ())}

    def is_new(self, item: StreamEvent) -> bool:
        code = _SOURCES[item.source]
        return item.position > self.cursor[code] and (code, item.position) not in self.recent

    def add(self, items: Iterable[StreamEvent]) -> None:
        self.recent.update((_SOURCES[i.source], i.position) for i in items)

    def advance(self, settled: Cursor) -> None:
        """Fold into the cursor what is at or below `settled`; keep the rest in ``recent``."""
        cursor = Cursor(
            max(self.cursor.state, settled.state), max(self.cursor.event, settled.event)
        )
        recent = sorted(p for p in self.recent if p[1] > cursor[p[0]])
        self.evaluation["cursor"] = list(cursor)
        self.evaluation["recent"] = [list(p) for p in recent[-MAX_RECENT:]]


def parts(trigger: EventTrigger | CompoundTrigger) -> list[EventTrigger]:
    """The event triggers a trigger is made of (itself, for an event trigger)."""
    return list(trigger.triggers) if isinstance(trigger, CompoundTrigger) else [trigger]


def relevant(trigger: EventTrigger | CompoundTrigger, name: str) -> bool:
    """Whether an event of this name is one the trigger (one of its parts) counts or opens a
    window with."""
    return any(expects(t, name) or starts_after(t, name) for t in parts(trigger))


def watches(trigger: EventTrigger | CompoundTrigger, event: dict[str, Any]) -> bool:
    """Whether `event` is one the trigger (one of its parts) looks at."""
    name = event["event"]
    return any((expects(t, name) or starts_after(t, name)) and covers(t, event)
               for t in parts(trigger))  # fmt: skip


def _compact(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in ("id", "event", "occurred", "resource", "related")}


def _implicit_window(trigger: EventTrigger) -> bool:
    """A Proactive trigger without `after` or `for_each` watches one window from the start."""
    return trigger.posture == "Proactive" and not trigger.after and not trigger.for_each


def evaluate(
    trigger: EventTrigger | CompoundTrigger,
    evaluation: dict[str, Any],
    events: list[StreamEvent],
    now: float,
) -> list[Firing]:
    """What fired: `evaluate_event` of an event trigger, `_compound` of a compound one."""
    if isinstance(trigger, CompoundTrigger):
        return _compound(trigger, evaluation, events, now)
    return evaluate_event(trigger, evaluation, events, now)


def _compound(trigger: CompoundTrigger, evaluation: dict[str, Any], events: list[StreamEvent],
              now: float) -> list[Firing]:  # fmt: skip
    """Each part is evaluated on its own (its evaluation in ``parts``); when it fires, when and
    with which event is kept in ``fired`` (by part). The compound fires once `needed` parts have
    fired within `within` of the latest, and starts counting afresh."""
    kept = evaluation.get("parts")
    if not isinstance(kept, list) or len(kept) != len(trigger.triggers):
        kept = evaluation["parts"] = [{} for _ in trigger.triggers]
    fired: dict[str, dict[str, Any]] = evaluation.setdefault("fired", {})
    for index, part in enumerate(trigger.triggers):
        kept[index].setdefault("started", evaluation.get("started", now))
        for firing in evaluate_event(part, kept[index], events, now):
            event = firing.event
            at = float(event["occurred"]) if event and part.posture == "Reactive" else now
            fired[str(index)] = {"at": at, "key": firing.key,
                                 "event": _compact(event) if event else None}  # fmt: skip
    within = trigger.within.total_seconds()
    if within and fired:
        latest = max(f["at"] for f in fired.values())
        for index in [i for i, f in fired.items() if f["at"] < latest - within]:
            del fired[index]
    if len(fired) < trigger.needed:
        return []
    last = max(fired.values(), key=lambda f: f["at"])
    key = "compound|" + "|".join(fired[i]["key"] for i in sorted(fired))
    reason = f"{len(fired)} of {len(trigger.triggers)} triggers fired"
    fired.clear()
    return [Firing(key, last["event"], reason)]


def evaluate_event(
    trigger: EventTrigger, evaluation: dict[str, Any], events: list[StreamEvent], now: float
) -> list[Firing]:
    """Count `events` (new to this automation, in order) into the buckets and check the
    Proactive windows against `now`; return what fired. Changes `evaluation` in place."""
    buckets: dict[str, dict[str, Any]] = evaluation.setdefault("buckets", {})
    if _implicit_window(trigger) and "" not in buckets:
        buckets[""] = {"start": evaluation.get("started", now), "count": 0, "event": None}
    within = trigger.within.total_seconds()
    fired: list[Firing] = []
    for item in events:
        event = item.event
        name, occurred = event["event"], item.occurred
        if not relevant(trigger, name) or not covers(trigger, event):
            continue
        key = bucket_key(trigger, event)
        if trigger.posture == "Reactive":
            fired.extend(_reactive(trigger, buckets, key, event, occurred, within))
        else:
            _proactive(trigger, buckets, key, event, occurred)
    if trigger.posture == "Proactive":
        fired.extend(_deadlines(trigger, buckets, now, within))
    if len(buckets) > MAX_BUCKETS:
        oldest = sorted(buckets, key=lambda k: buckets[k]["start"])[: len(buckets) - MAX_BUCKETS]
        for key in oldest:
            del buckets[key]
    return fired


def _reactive(trigger: EventTrigger, buckets: dict, key: str, event: dict, occurred: float,
              within: float) -> list[Firing]:  # fmt: skip
    name = event["event"]
    bucket = buckets.get(key)
    if bucket is not None and within and occurred - bucket["start"] > within:
        del buckets[key]  # its window passed before it reached the threshold
        bucket = None
    out = []
    if expects(trigger, name) and (bucket is not None or not trigger.after):
        if bucket is None:
            bucket = buckets[key] = {"start": occurred, "count": 0, "event": _compact(event)}
        bucket["count"] += 1
        if bucket["count"] >= trigger.threshold:
            del buckets[key]
            reason = f"{bucket['count']} x {name}"
            out.append(Firing(f"reactive|{key}|{event['id']}", event, reason))
    if starts_after(trigger, name) and key not in buckets:
        buckets[key] = {"start": occurred, "count": 0, "event": _compact(event)}
    return out


def _proactive(trigger: EventTrigger, buckets: dict, key: str, event: dict,
               occurred: float) -> None:  # fmt: skip
    name = event["event"]
    bucket = buckets.get(key)
    if expects(trigger, name):
        if bucket is None and not trigger.after:  # a for_each key seen for the first time
            bucket = buckets[key] = {"start": occurred, "count": 0, "event": _compact(event)}
        if bucket is not None:
            bucket["count"] += 1
            if bucket["count"] >= trigger.threshold:  # satisfied: watch the next window
                if trigger.after:
                    del buckets[key]
                else:
                    buckets[key] = {"start": occurred, "count": 0, "event": _compact(event)}
    if starts_after(trigger, name):
        buckets[key] = {"start": occurred, "count": 0, "event": _compact(event)}


def _deadlines(trigger: EventTrigger, buckets: dict, now: float, within: float) -> list[Firing]:
    out = []
    for key, bucket in list(buckets.items()):
        if now < bucket["start"] + within:
            continue
        expected = ", ".join(sorted(trigger.expect)) or "any event"
        reason = f"{bucket['count']} of {trigger.threshold} x {expected} within {within:g} s"
        out.append(Firing(f"proactive|{key}|{bucket['start']!r}", bucket["event"], reason))
        if trigger.after:
            del buckets[key]
        else:  # a new window opens now
            buckets[key] = {"start": now, "count": 0, "event": bucket["event"]}
    return out


def due(trigger: EventTrigger | CompoundTrigger, evaluation: dict[str, Any], now: float) -> bool:
    """Whether a Proactive window of the automation (of one of its parts) has run out, so it
    must be evaluated even without new events."""
    if isinstance(trigger, CompoundTrigger):
        kept = evaluation.get("parts") or [{} for _ in trigger.triggers]
        if len(kept) != len(trigger.triggers):
            return False
        return any(due(part, {"started": evaluation.get("started", now), **kept[i]}, now)
                   for i, part in enumerate(trigger.triggers))  # fmt: skip
    if trigger.posture != "Proactive":
        return False
    within = trigger.within.total_seconds()
    buckets = evaluation.get("buckets") or {}
    if _implicit_window(trigger) and "" not in buckets:
        return now >= evaluation.get("started", now) + within
    return any(now >= b["start"] + within for b in buckets.values())


__all__ = [
    "MAX_BUCKETS",
    "Firing",
    "Seen",
    "due",
    "evaluate",
    "evaluate_event",
    "parts",
    "relevant",
    "watches",
]
