"""`SlackWebhook`: a notification block that posts to a Slack incoming webhook (the name and
slug of Prefect 3's ``prefect.blocks.notifications.SlackWebhook``).

    SlackWebhook(url="https://hooks.slack.com/services/T000/B000/XXXX").save("alerts")
    SlackWebhook.load("alerts").notify("The nightly load failed", subject="etl")

The URL holds Slack's secret token, so it is a `SecretStr`: stored encrypted, never shown, and
replaced by ``***`` in any error message.
"""

from __future__ import annotations

from cadenza.blocks.notifications import NotificationBlock, send
from pydantic import Field, SecretStr


class SlackWebhook(NotificationBlock):
    """Posts notifications to a Slack channel through an incoming webhook."""

    _block_type_slug = "slack-webhook"
    _block_type_name = "Slack Webhook"
    _documentation_url = "docs/collections/notify.md"

    url: SecretStr = Field(description="The incoming webhook's URL (stored encrypted).")
    timeout: float = Field(10.0, gt=0, le=300, description="Seconds to wait for Slack.")

    def notify(self, body: str, subject: str | None = None) -> None:
        """Post `body` (after `subject` in bold, when given) as the message's text."""
        text = f"*{subject}*\n{body}" if subject else body
        send(
            self,
            "The Slack notification",
            method="POST",
            url=self.url.get_secret_value(),
            json={"text": text},
            timeout=self.timeout,
        )
