"""The `Webhook` block: a saved HTTP endpoint to call, its URL and headers kept encrypted (as
Prefect 3's ``prefect.blocks.webhook.Webhook``); what an automation's ``call-webhook`` action
calls.

    from cadenza.blocks.webhook import Webhook

    Webhook(url="https://hooks.example.com/T0K3N").save("deploy-hook")
    Webhook.load("deploy-hook").call({"text": "hello"})
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr

from cadenza.blocks.core import Block
from cadenza.blocks.fields import SecretDict
from cadenza.blocks.notifications import send


class Webhook(Block):
    """Calls a webhook: ``call(payload)`` sends `payload` as JSON (a string as the body)."""

    _block_type_slug = "webhook"
    _block_type_name = "Webhook"
    _documentation_url = "docs/howto/control-runs.md"

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        "POST", description="The HTTP method."
    )
    url: SecretStr = Field(description="The webhook's URL (stored encrypted).")
    headers: SecretDict = Field(
        default_factory=lambda: SecretDict({}),
        description="Headers sent with each call (stored encrypted).",
    )
    timeout: float = Field(10.0, gt=0, le=300, description="Seconds to wait for an answer.")

    def call(self, payload: dict[str, Any] | list[Any] | str | None = None) -> Any:
        """Send `payload`; the `httpx.Response`. Retried as `cadenza.blocks.notifications.send`
        says; `NotificationError` (secrets scrubbed) when it cannot be delivered."""
        request: dict[str, Any] = {
            "method": self.method,
            "url": self.url.get_secret_value(),
            "headers": {str(k): str(v) for k, v in self.headers.get_secret_value().items()},
            "timeout": self.timeout,
        }
        if isinstance(payload, str):
            request["content"] = payload.encode()
        elif payload is not None:
            request["json"] = payload
        return send(self, "The webhook call", **request)


__all__ = ["Webhook"]
