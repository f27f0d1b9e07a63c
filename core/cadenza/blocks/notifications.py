"""Notification blocks: a saved place to send a message to, with ``.notify(body, subject=None)``
(as Prefect 3's ``prefect.blocks.notifications``).

    from cadenza.blocks.notifications import CustomWebhookNotificationBlock

    CustomWebhookNotificationBlock(
        name="ops", url="https://hooks.example.com/{{token}}",
        json_data={"text": "{{subject}}: {{body}}"}, secrets={"token": "s3cret"},
    ).save("ops")
    CustomWebhookNotificationBlock.load("ops").notify("The nightly load failed", "etl")

`NotificationBlock` is the base of every notification block — those of collections too (the
``cadenza-notify`` collection's Slack and e-mail blocks); an automation's ``send-notification``
action calls `notify` on whichever is saved. Requests are retried (`send`): on a connection
error, 429 or 5xx, up to `ATTEMPTS` times with exponential backoff. Secret values (the
``secrets`` of a webhook, a Slack URL, a password) never appear in an error message or a log:
they are replaced by ``***``.
"""

from __future__ import annotations

import random
import re
import time
from typing import Any, Literal

from pydantic import Field, model_validator

from cadenza.blocks.core import Block, secret_values
from cadenza.blocks.exceptions import BlockError
from cadenza.blocks.fields import SecretDict

ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the second attempt, doubled for each one after
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")


class NotificationError(BlockError):
    """A notification could not be delivered (the message names no secret)."""


class NotificationBlock(Block):
    """Base of the blocks that send notifications: subclasses implement `notify`."""

    def notify(self, body: str, subject: str | None = None) -> None:
        """Send `body` (with `subject`, where the service has one); `NotificationError` if it
        could not be delivered."""
        raise NotImplementedError(f"{type(self).__name__} does not implement notify()")


def scrub(text: str, block: Block) -> str:
    """`text` with every secret value of `block` replaced by ``***``."""
    for secret in sorted(secret_values(block), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def send(block: Block, what: str, **request: Any) -> Any:
    """One HTTP request (httpx's ``request`` arguments), retried on a connection error, 429 or
    5xx; the response, or `NotificationError` naming `what` (secrets scrubbed)."""
    # lazily: httpx loads when a notification is sent, not when block types are listed
    import httpx

    timeout = request.pop("timeout", 10.0)
    problem = ""
    with httpx.Client(timeout=timeout, headers={"user-agent": "Cadenza Notifications"}) as client:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = client.request(**request)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response
                problem = f"HTTP {response.status_code}"
                if response.status_code != 429 and response.status_code < 500:
                    break  # the request is wrong: sending it again will not help
            if attempt < ATTEMPTS:
                delay = BACKOFF * 2 ** (attempt - 1)
                time.sleep(random.uniform(delay / 2, delay))
    raise NotificationError(scrub(f"{what} failed after {attempt} attempt(s): {problem}", block))


def fill(template: Any, values: dict[str, str]) -> Any:
    """`template` (a string, or dicts and lists of them) with ``{{key}}`` replaced from
    `values`; an unknown key is left as it is."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    if isinstance(template, dict):
        return {fill(k, values): fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


class CustomWebhookNotificationBlock(NotificationBlock):
    """Sends a notification as an HTTP request of your own shape.

    ``url``, ``params``, ``json_data``, ``form_data``, ``headers`` and ``cookies`` may hold
    ``{{subject}}``, ``{{body}}``, ``{{name}}`` and the name of any entry of ``secrets`` (kept
    encrypted), e.g. ``url="https://hooks.example.com/{{token}}"``.
    """

    _block_type_slug = "custom-webhook"
    _block_type_name = "Custom Webhook"
    _documentation_url = "docs/howto/control-runs.md"

    name: str = Field(description="Name of the webhook (``{{name}}`` in templates).")
    url: str = Field(description="The URL to send to; may hold placeholders.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        "POST", description="The HTTP method."
    )
    params: dict[str, str] | None = Field(None, description="Query parameters.")
    json_data: dict[str, Any] | None = Field(None, description="A JSON body.")
    form_data: dict[str, str] | None = Field(None, description="A form-encoded body.")
    headers: dict[str, str] | None = Field(None, description="Custom headers.")
    cookies: dict[str, str] | None = Field(None, description="Custom cookies.")
    timeout: float = Field(10.0, gt=0, le=300, description="Seconds to wait for an answer.")
    secrets: SecretDict = Field(
        default_factory=lambda: SecretDict({}),
        description="Values only templates see (tokens, passwords); stored encrypted.",
    )

    @model_validator(mode="after")
    def _one_body(self) -> CustomWebhookNotificationBlock:
        if self.form_data is not None and self.json_data is not None:
            raise ValueError("give json_data or form_data, not both")
        return self

    def notify(self, body: str, subject: str | None = None) -> None:
        values = {str(k): str(v) for k, v in self.secrets.get_secret_value().items()}
        values.update(subject="null" if subject is None else subject, body=body, name=self.name)
        request = {
            "method": self.method, "url": fill(self.url, values),
            "params": fill(self.params, values), "json": fill(self.json_data, values),
            "data": fill(self.form_data, values), "headers": fill(self.headers, values),
            "cookies": fill(self.cookies, values), "timeout": self.timeout,
        }  # fmt: skip
        send(self, f"The notification to webhook {self.name!r}", **request)


__all__ = [
    "ATTEMPTS",
    "CustomWebhookNotificationBlock",
    "NotificationBlock",
    "NotificationError",
    "fill",
    "scrub",
    "send",
]
