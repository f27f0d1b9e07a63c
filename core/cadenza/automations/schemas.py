"""What an automation is made of: a trigger and actions, as pydantic models (Prefect 3's names).

The trigger is an `EventTrigger`: the events it `expect`s (names, a trailing ``*`` a prefix),
the resources they must be about (`match`: labels of the event's resource; `match_related`:
labels of a related resource), and a posture:

- ``Reactive``: fire when `threshold` such events happened within `within` seconds (the default,
  1 event, fires on each one);
- ``Proactive``: fire when fewer than `threshold` such events happened within `within` seconds
  ("no ``cadenza.flow-run.Completed`` of deployment Y in 2 h"). With `after`, the window of each
  resource (`for_each`) opens with an ``after`` event: "a flow run entered Running and no other
  state followed within 30 min".

Actions: `CancelFlowRun`, `PauseDeployment`, `ResumeDeployment`, `RunDeployment`,
`SendNotification`, `CallWebhook`, `DoNothing`, `PauseAutomation`, `ResumeAutomation`,
`PauseWorkPool`, `ResumeWorkPool`, `DeleteFlowRun`. Every model refuses fields it does not know,
so a misspelt filter is an error, not an automation that matches everything.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cadenza.automations.matching import cadenza_name, label_key

_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_WITHIN = timedelta(days=366)
MIN_PROACTIVE_WITHIN = timedelta(seconds=1)


def _clean(value: object) -> object:
    if isinstance(value, str) and _BAD_TEXT.search(value):
        raise PydanticCustomError(
            "text_characters", "must not contain control characters (such as NUL) or lone "
            "surrogates",
        )  # fmt: skip
    return value


Label = Annotated[str, Field(min_length=1, max_length=1000), BeforeValidator(_clean)]
"""An event name pattern, a label or a label value."""
Name = Annotated[str, Field(min_length=1, max_length=200), BeforeValidator(_clean)]
Text = Annotated[str, Field(max_length=100_000), BeforeValidator(_clean)]
Ref = Annotated[str, Field(min_length=1, max_length=200), BeforeValidator(_clean)]
"""The id of a deployment, a block or a flow run."""
Seconds = Annotated[
    timedelta,
    Field(ge=timedelta(0), le=MAX_WITHIN),
    PlainSerializer(lambda d: d.total_seconds(), return_type=float),
]
"""A duration: seconds, or an ISO 8601 duration (``PT2H``); given back as seconds."""


def _cadenza_value(value: object) -> object:
    if isinstance(value, str):
        return cadenza_name(value)
    if isinstance(value, list):
        return [cadenza_name(v) if isinstance(v, str) else v for v in value]
    return value


def _cadenza_keys(value: object) -> object:
    """Prefect's ``prefect.resource.*`` label keys as cadenza's (`label_key`), and resource ids
    of Prefect's built-in kinds (``prefect.flow-run.*``) as cadenza's (`cadenza_name`)."""
    if isinstance(value, dict):
        return {
            label_key(k) if isinstance(k, str) else k: _cadenza_value(v) for k, v in value.items()
        }
    return value


def _cadenza_event_names(value: object) -> object:
    """Prefect's built-in event names (``prefect.flow-run.Failed``) as cadenza's."""
    if isinstance(value, (set, list, tuple, frozenset)):  # a list: an item may be unhashable
        return [cadenza_name(v) if isinstance(v, str) else v for v in value]
    return value


def _cadenza_names(value: object) -> object:
    if isinstance(value, (set, list, tuple, frozenset)):  # a list: an item may be unhashable
        return [label_key(k) if isinstance(k, str) else k for k in value]
    return value


Labels = Annotated[
    dict[Label, Label | Annotated[list[Label], Field(max_length=100)]],
    Field(max_length=100),
    BeforeValidator(_cadenza_keys),
]
"""Labels a resource must have: each value one of those given (``*`` ends a prefix, ``!``
starts a negation), as Prefect's ``ResourceSpecification``; Prefect's ``prefect.resource.*``
keys are taken as ``cadenza.resource.*``."""
Names = Annotated[set[Label], Field(max_length=100)]
EventNames = Annotated[set[Label], Field(max_length=100), BeforeValidator(_cadenza_event_names)]
LabelNames = Annotated[set[Label], Field(max_length=100), BeforeValidator(_cadenza_names)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, hide_input_in_errors=True)


class EventTrigger(_Model):
    """Fires on the presence (``Reactive``) or absence (``Proactive``) of events."""

    type: Literal["event"] = "event"
    expect: EventNames = Field(default_factory=set, description="Event names this trigger counts.")
    after: EventNames = Field(
        default_factory=set, description="Event names that open a window (Proactive) or arm it."
    )
    match: Labels = Field(default_factory=dict, description="Labels of the event's resource.")
    match_related: Labels | Annotated[list[Labels], Field(max_length=20)] = Field(
        default_factory=dict, description="Labels of a related resource (each spec of a list)."
    )
    for_each: LabelNames = Field(
        default_factory=set,
        description="Evaluate separately for each value of these labels "
        "(`related:<role>:<label>` for a related resource's).",
    )
    posture: Literal["Reactive", "Proactive"] = "Reactive"
    threshold: int = Field(1, ge=1, le=10_000)
    within: Seconds = timedelta(0)

    @model_validator(mode="after")
    def _proactive_window(self) -> EventTrigger:
        if self.posture == "Proactive":
            if self.within == timedelta(0):
                self.within = timedelta(seconds=10)
            elif self.within < MIN_PROACTIVE_WITHIN:
                raise ValueError("`within` of a Proactive trigger must be at least 1 second")
        return self

    def describe(self) -> str:
        """One line for the CLI."""
        expect = ", ".join(sorted(self.expect)) or "any event"
        window = f" within {self.within.total_seconds():g} s" if self.within else ""
        if self.posture == "Reactive":
            return f"Reactive: {self.threshold} x {expect}{window}"
        after = f" after {', '.join(sorted(self.after))}" if self.after else ""
        return f"Proactive: fewer than {self.threshold} x {expect}{window}{after}"


class CompoundTrigger(_Model):
    """Fires when `require` of its `triggers` (``"any"``, ``"all"`` or a number) have each fired
    within `within` seconds of one another (0: however far apart), as Prefect's."""

    type: Literal["compound"] = "compound"
    triggers: Annotated[list[EventTrigger], Field(min_length=1, max_length=20)]
    require: Annotated[int, Field(ge=1)] | Literal["any", "all"] = "all"
    within: Seconds = timedelta(0)

    @model_validator(mode="after")
    def _requirable(self) -> CompoundTrigger:
        if isinstance(self.require, int) and self.require > len(self.triggers):
            raise ValueError(
                f"require is {self.require} but the compound trigger has only "
                f"{len(self.triggers)} triggers"
            )
        return self

    @property
    def needed(self) -> int:
        """How many of the triggers must fire."""
        if self.require == "any":
            return 1
        return len(self.triggers) if self.require == "all" else self.require

    def describe(self) -> str:
        window = f" within {self.within.total_seconds():g} s" if self.within else ""
        parts = "; ".join(t.describe() for t in self.triggers)
        return f"Compound: {self.needed} of [{parts}]{window}"


TriggerTypes = EventTrigger | CompoundTrigger
"""A trigger: an `EventTrigger`, or a `CompoundTrigger` (``"type": "compound"``)."""


# -- actions -----------------------------------------------------------------------------------


class _Action(_Model):
    def describe(self) -> str:
        return str(getattr(self, "type", type(self).__name__))


class DoNothing(_Action):
    """Does nothing (an automation that only records that it fired)."""

    type: Literal["do-nothing"] = "do-nothing"


class _DeploymentAction(_Action):
    source: Literal["selected", "inferred"] = "selected"
    deployment_id: Ref | None = None

    @model_validator(mode="after")
    def _selected_needs_id(self) -> _DeploymentAction:
        if (self.source == "selected") != (self.deployment_id is not None):
            raise ValueError(
                "deployment_id is " + ("required" if self.source == "selected" else "not allowed")
                + " when source is " + repr(self.source)
            )  # fmt: skip
        return self


class RunDeployment(_DeploymentAction):
    """Creates a run of a deployment (the selected one, or the triggering event's)."""

    type: Literal["run-deployment"] = "run-deployment"
    parameters: dict[str, Any] | None = None
    job_variables: dict[str, Any] | None = None


class PauseDeployment(_DeploymentAction):
    type: Literal["pause-deployment"] = "pause-deployment"


class ResumeDeployment(_DeploymentAction):
    type: Literal["resume-deployment"] = "resume-deployment"


class _SelectedOrInferred(_Action):
    """An action on one object: the one named by its id field (``source: selected``), or the
    one the triggering event is about (``inferred``)."""

    source: Literal["selected", "inferred"] = "selected"

    def _target(self) -> str | None:
        raise NotImplementedError

    @model_validator(mode="after")
    def _selected_needs_id(self) -> _SelectedOrInferred:
        field = next(name for name in type(self).model_fields if name.endswith("_id"))
        if (self.source == "selected") != (self._target() is not None):
            raise ValueError(
                f"{field} is " + ("required" if self.source == "selected" else "not allowed")
                + " when source is " + repr(self.source)
            )  # fmt: skip
        return self


class _AutomationAction(_SelectedOrInferred):
    automation_id: Ref | None = None

    def _target(self) -> str | None:
        return self.automation_id


class PauseAutomation(_AutomationAction):
    """Disables an automation (the selected one, or the one whose event fired this)."""

    type: Literal["pause-automation"] = "pause-automation"


class ResumeAutomation(_AutomationAction):
    """Enables an automation again: it watches the events from then on."""

    type: Literal["resume-automation"] = "resume-automation"


class _WorkPoolAction(_SelectedOrInferred):
    work_pool_id: Ref | None = Field(
        None, description="The work pool's name (cadenza names its pools; Prefect's field name)."
    )

    def _target(self) -> str | None:
        return self.work_pool_id


class PauseWorkPool(_WorkPoolAction):
    """Pauses a work pool (the selected one, or the triggering event's): its workers claim
    nothing until it is resumed."""

    type: Literal["pause-work-pool"] = "pause-work-pool"


class ResumeWorkPool(_WorkPoolAction):
    type: Literal["resume-work-pool"] = "resume-work-pool"


class CancelFlowRun(_Action):
    """Cancels the flow run the triggering event is about (it goes Cancelling)."""

    type: Literal["cancel-flow-run"] = "cancel-flow-run"


class DeleteFlowRun(_Action):
    """Deletes the flow run the triggering event is about, with everything recorded under it
    (as `cadenza runs delete` does); a run not in a final state is left alone (the action fails
    saying so)."""

    type: Literal["delete-flow-run"] = "delete-flow-run"


class SendNotification(_Action):
    """Sends `body` through a saved notification block (`subject` and `body` may hold
    ``{{ event.event }}``-style placeholders)."""

    type: Literal["send-notification"] = "send-notification"
    block_document_id: Ref = Field(description="The id of the notification block.")
    subject: Text = "Cadenza automated notification"
    body: Text = Field(description="The text to send.")


class CallWebhook(_Action):
    """Calls a saved `Webhook` block with `payload` (placeholders allowed; sent as JSON when it
    is JSON)."""

    type: Literal["call-webhook"] = "call-webhook"
    block_document_id: Ref = Field(description="The id of the webhook block.")
    payload: Text = ""


_ACTIONS = (CancelFlowRun, PauseDeployment, ResumeDeployment, RunDeployment, SendNotification,
            CallWebhook, DoNothing, PauseAutomation, ResumeAutomation, PauseWorkPool,
            ResumeWorkPool, DeleteFlowRun)  # fmt: skip
ACTION_TYPES = tuple(cls.model_fields["type"].default for cls in _ACTIONS)


def _action_type(value: Any) -> Any:
    return value.get("type") if isinstance(value, dict) else getattr(value, "type", None)


ActionTypes = Annotated[
    Annotated[CancelFlowRun, Tag("cancel-flow-run")]
    | Annotated[PauseDeployment, Tag("pause-deployment")]
    | Annotated[ResumeDeployment, Tag("resume-deployment")]
    | Annotated[RunDeployment, Tag("run-deployment")]
    | Annotated[SendNotification, Tag("send-notification")]
    | Annotated[CallWebhook, Tag("call-webhook")]
    | Annotated[DoNothing, Tag("do-nothing")]
    | Annotated[PauseAutomation, Tag("pause-automation")]
    | Annotated[ResumeAutomation, Tag("resume-automation")]
    | Annotated[PauseWorkPool, Tag("pause-work-pool")]
    | Annotated[ResumeWorkPool, Tag("resume-work-pool")]
    | Annotated[DeleteFlowRun, Tag("delete-flow-run")],
    Discriminator(
        _action_type, custom_error_type="action_type",
        custom_error_message="unknown action type; expected one of: " + ", ".join(ACTION_TYPES),
    ),
]  # fmt: skip
"""One action, told apart by its ``type`` (an unknown type is refused without repeating it)."""


class AutomationCore(_Model):
    """An automation without its id: what is created, replaced and shown."""

    name: Name
    description: Text = ""
    enabled: bool = True
    trigger: TriggerTypes

    @field_validator("trigger", mode="wrap")
    @classmethod
    def _one_trigger(cls, value: Any, handler: Any) -> Any:
        """A compound trigger by its ``type``, anything else as an event trigger: a problem is
        named where it is (``trigger.threshold``), not under each kind of trigger."""
        if isinstance(value, (EventTrigger, CompoundTrigger)):
            return value
        if isinstance(value, dict) and value.get("type") == "compound":
            return CompoundTrigger.model_validate(value)
        return EventTrigger.model_validate(value)

    actions: Annotated[list[ActionTypes], Field(max_length=50)] = Field(default_factory=list)


__all__ = [
    "ACTION_TYPES",
    "ActionTypes",
    "AutomationCore",
    "CallWebhook",
    "CancelFlowRun",
    "CompoundTrigger",
    "DeleteFlowRun",
    "DoNothing",
    "EventTrigger",
    "PauseAutomation",
    "PauseDeployment",
    "PauseWorkPool",
    "ResumeAutomation",
    "ResumeDeployment",
    "ResumeWorkPool",
    "RunDeployment",
    "SendNotification",
    "TriggerTypes",
]
