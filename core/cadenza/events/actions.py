"""An automation's actions at Prefect 3's path (``prefect.events.actions``): the models are
`cadenza.automations.schemas`'."""

from __future__ import annotations

from cadenza.automations.schemas import (
    CallWebhook,
    CancelFlowRun,
    DoNothing,
    PauseDeployment,
    ResumeDeployment,
    RunDeployment,
    SendNotification,
)

__all__ = [
    "CallWebhook",
    "CancelFlowRun",
    "DoNothing",
    "PauseDeployment",
    "ResumeDeployment",
    "RunDeployment",
    "SendNotification",
]
