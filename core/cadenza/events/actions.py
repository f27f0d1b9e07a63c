"""An automation's actions at Prefect 3's path (``prefect.events.actions``): the models are
`cadenza.automations.schemas`'."""

from __future__ import annotations

from cadenza.automations.schemas import (
    CallWebhook,
    CancelFlowRun,
    DeleteFlowRun,
    DoNothing,
    PauseAutomation,
    PauseDeployment,
    PauseWorkPool,
    ResumeAutomation,
    ResumeDeployment,
    ResumeWorkPool,
    RunDeployment,
    SendNotification,
)

__all__ = [
    "CallWebhook",
    "CancelFlowRun",
    "DeleteFlowRun",
    "DoNothing",
    "PauseAutomation",
    "PauseDeployment",
    "PauseWorkPool",
    "ResumeAutomation",
    "ResumeDeployment",
    "ResumeWorkPool",
    "RunDeployment",
    "SendNotification",
]
