"""Events and automations at Prefect 3's path (``prefect.events``).

    from cadenza.events import emit_event

    emit_event(
        event="acme.order.placed",
        resource={"cadenza.resource.id": "acme.order.1234"},  # or Prefect's prefect.resource.id
        payload={"total": 42},
    )

`emit_event` records a custom event (docs/concepts/automations.md); an automation's
`EventTrigger` on a server fires on it like on the events cadenza makes itself. The automation
names are `cadenza.automations`'.
"""

from __future__ import annotations

from cadenza.automations import (
    Automation,
    AutomationCore,
    CallWebhook,
    CancelFlowRun,
    CompoundTrigger,
    DeleteFlowRun,
    DoNothing,
    EventTrigger,
    PauseAutomation,
    PauseDeployment,
    PauseWorkPool,
    Posture,
    ResumeAutomation,
    ResumeDeployment,
    ResumeWorkPool,
    RunDeployment,
    SendNotification,
)
from cadenza.events.schemas.events import Event, ReceivedEvent, RelatedResource, Resource
from cadenza.events.utilities import emit_event

__all__ = [
    "Automation",
    "AutomationCore",
    "CallWebhook",
    "CancelFlowRun",
    "CompoundTrigger",
    "DeleteFlowRun",
    "DoNothing",
    "Event",
    "EventTrigger",
    "PauseAutomation",
    "PauseDeployment",
    "PauseWorkPool",
    "Posture",
    "ReceivedEvent",
    "RelatedResource",
    "Resource",
    "ResumeAutomation",
    "ResumeDeployment",
    "ResumeWorkPool",
    "RunDeployment",
    "SendNotification",
    "emit_event",
]
