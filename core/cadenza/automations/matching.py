"""Whether an event is one a trigger looks at (standard library only; events are dicts).

Names and label values are matched as Prefect 3 matches them: a trailing ``*`` makes a prefix,
a leading ``!`` a negation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

RESOURCE_ID = "cadenza.resource.id"
ROLE = "cadenza.resource.role"
_PREFECT = "prefect.resource."
_OURS = "cadenza.resource."


def label_key(key: str) -> str:
    """A label's key as cadenza writes it: Prefect's ``prefect.resource.*`` (``.id``, ``.name``,
    ``.role``, ...) as ``cadenza.resource.*``; any other key as it is. A ``related:<role>:``
    prefix (`for_each`) is kept."""
    head, sep, tail = key.rpartition(":")
    if tail.startswith(_PREFECT):
        return f"{head}{sep}{_OURS}{tail[len(_PREFECT) :]}"
    return key


#: Kinds of event and resource: ``prefect.<kind>.`` in Prefect, ``cadenza.<kind>.`` here.
KINDS = ("flow-run", "task-run", "flow", "deployment", "work-pool", "work-queue", "worker",
         "automation", "tag")  # fmt: skip
_PREFECT_KINDS = tuple(f"prefect.{kind}." for kind in KINDS)


def cadenza_name(pattern: str) -> str:
    """An event name or resource id pattern of Prefect's built-in kinds as cadenza's:
    ``prefect.flow-run.Failed`` as ``cadenza.flow-run.Failed`` (a leading ``!`` kept); any other
    pattern as it is."""
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    if body.startswith(_PREFECT_KINDS):
        return ("!" if negated else "") + "cadenza." + body[len("prefect.") :]
    return pattern


def matches(expected: str, value: str | None) -> bool:
    """`value` against one pattern (``x``, ``x*``, ``!x``, ``!x*``)."""
    if value is None:
        return False
    positive = not expected.startswith("!")
    if not positive:
        expected = expected[1:]
    hit = value.startswith(expected[:-1]) if expected.endswith("*") else value == expected
    return hit if positive else not hit


def any_name(patterns: Iterable[str], name: str) -> bool:
    return any(matches(p, name) for p in patterns)


def labels_match(spec: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Every label of `spec` has one of its values in `labels` (an empty spec: any)."""
    for label, expected in spec.items():
        values = [expected] if isinstance(expected, str) else expected
        if not any(matches(v, labels.get(label)) for v in values):
            return False
    return True


def covers(trigger: Any, event: Mapping[str, Any]) -> bool:
    """The event is about resources the trigger's `match` and `match_related` select."""
    if not labels_match(trigger.match, event["resource"]):
        return False
    specs = trigger.match_related
    for spec in specs if isinstance(specs, list) else [specs]:
        if spec and not any(labels_match(spec, r) for r in event["related"]):
            return False
    return True


def expects(trigger: Any, name: str) -> bool:
    """The event counts toward the trigger (no `expect`: every event does)."""
    return not trigger.expect or any_name(trigger.expect, name)


def starts_after(trigger: Any, name: str) -> bool:
    return bool(trigger.after) and any_name(trigger.after, name)


def find_label(event: Mapping[str, Any], label: str) -> str | None:
    """A label of the event's resource, or ``related:<role>:<label>`` of its first related
    resource in that role."""
    directive, _, related_label = label.rpartition(":")
    directive, _, role = directive.partition(":")
    if directive == "related":
        for resource in event["related"]:
            if resource.get(ROLE) == role:
                value = resource.get(related_label)
                return None if value is None else str(value)
        return None
    value = event["resource"].get(label)
    return None if value is None else str(value)


def bucket_key(trigger: Any, event: Mapping[str, Any]) -> str:
    """Which of the trigger's separate evaluations (`for_each`) the event belongs to."""
    labels = sorted(trigger.for_each)
    return "\x1f".join(find_label(event, label) or "" for label in labels)


def sql_prefixes(patterns: Sequence[str]) -> list[str] | None:
    """Event name prefixes that cover `patterns` (for reading only the events that may matter),
    or None when one of them may match any name (a negation, or ``*``)."""
    out = []
    for pattern in patterns:
        if pattern.startswith("!"):
            return None
        prefix = pattern[:-1] if pattern.endswith("*") else pattern
        if not prefix:
            return None
        out.append(prefix)
    return out


__all__ = [
    "KINDS",
    "any_name",
    "bucket_key",
    "cadenza_name",
    "covers",
    "expects",
    "find_label",
    "label_key",
    "labels_match",
    "matches",
    "sql_prefixes",
    "starts_after",
]
