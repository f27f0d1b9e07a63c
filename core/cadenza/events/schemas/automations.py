"""Automations and their triggers at Prefect 3's path (``prefect.events.schemas.automations``):
the models are `cadenza.automations`'."""

from __future__ import annotations

from cadenza.automations import (
    Automation,
    AutomationCore,
    CompoundTrigger,
    EventTrigger,
    Posture,
)

__all__ = ["Automation", "AutomationCore", "CompoundTrigger", "EventTrigger", "Posture"]
