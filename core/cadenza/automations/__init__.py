"""Automations: when a trigger fires on the event stream, the server carries out actions
(as Prefect 3's ``prefect.automations``).

    from datetime import timedelta
    from cadenza.automations import Automation, EventTrigger, SendNotification

    Automation(
        name="etl failed",
        trigger=EventTrigger(
            expect={"cadenza.flow-run.Failed"},
            match_related={"cadenza.resource.id": "cadenza.deployment.<id>"},
        ),
        actions=[SendNotification(block_document_id="<block id>", body="{{ event.event }}")],
    ).create()

Automations live on a cadenza server (``CADENZA_API_URL``), whose automation service evaluates
them; see docs/howto/control-runs.md. The trigger and action models are in
`cadenza.automations.schemas`.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

from pydantic import Field

from cadenza.automations.schemas import (
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
    ResumeAutomation,
    ResumeDeployment,
    ResumeWorkPool,
    RunDeployment,
    SendNotification,
)
from cadenza.client.errors import NotFound
from cadenza.client.remote import remote_or_none
from cadenza.exceptions import CadenzaError

NO_SERVER = (
    "Automations live on a cadenza server, which evaluates them: start one (`cadenza server "
    "start`) and set CADENZA_API_URL to its URL"
)


class Posture(str, Enum):
    Reactive = "Reactive"
    Proactive = "Proactive"


def _client() -> Any:
    client = remote_or_none()
    if client is None:
        raise CadenzaError(NO_SERVER)
    return client


class Automation(AutomationCore):
    """An automation on the server: `create`, `read`, `update`, `delete`, `enable`, `disable`
    (and their ``a``-prefixed coroutines)."""

    id: str | None = Field(None, description="The automation's id (set by `create`).")

    def _body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"id"})

    @classmethod
    def _from_answer(cls, answer: dict[str, Any]) -> Automation:
        return cls.model_validate({k: answer[k] for k in (*AutomationCore.model_fields, "id")})

    def create(self) -> Automation:
        """Create the automation on the server; sets and returns it with its `id`."""
        self.id = _client().create_automation(self._body())["id"]
        return self

    def update(self) -> None:
        """Replace the saved automation with this one (its evaluation starts afresh)."""
        if self.id is None:
            raise ValueError("Can't update an automation without an id")
        _client().replace_automation(self.id, self._body())

    @classmethod
    def read(cls, id: str | None = None, name: str | None = None) -> Automation:
        """The automation with this `id`, or the first named `name`; `ValueError` if none."""
        if (id is None) == (name is None):
            raise ValueError("Give exactly one of id or name")
        client = _client()
        if id is not None:
            try:
                return cls._from_answer(client.read_automation(id))
            except NotFound:
                raise ValueError(f"Automation with ID {id!r} not found") from None
        found = client.list_automations(name=name, limit=1)
        if not found:
            raise ValueError(f"Automation with name {name!r} not found")
        return cls._from_answer(found[0])

    def delete(self) -> bool:
        """Delete it; False if the server had no such automation."""
        return self._call("delete_automation")

    def enable(self) -> bool:
        """Enable it: it watches the events from now on. False if the server has no such one."""
        return self._call("set_automation_enabled", True)

    def disable(self) -> bool:
        return self._call("set_automation_enabled", False)

    def _call(self, method: str, *args: Any) -> bool:
        if self.id is None:
            raise ValueError(f"Can't {method.split('_')[0]} an automation without an id")
        try:
            answer = getattr(_client(), method)(self.id, *args)
        except NotFound:
            return False
        if isinstance(answer, dict) and "enabled" in answer:
            self.enabled = bool(answer["enabled"])
        return True

    async def acreate(self) -> Automation:
        return await asyncio.to_thread(self.create)

    async def aupdate(self) -> None:
        await asyncio.to_thread(self.update)

    @classmethod
    async def aread(cls, id: str | None = None, name: str | None = None) -> Automation:
        return await asyncio.to_thread(cls.read, id, name)

    async def adelete(self) -> bool:
        return await asyncio.to_thread(self.delete)

    async def aenable(self) -> bool:
        return await asyncio.to_thread(self.enable)

    async def adisable(self) -> bool:
        return await asyncio.to_thread(self.disable)


__all__ = [
    "Automation",
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
    "Posture",
    "ResumeAutomation",
    "ResumeDeployment",
    "ResumeWorkPool",
    "RunDeployment",
    "SendNotification",
]
