"""cadenza-notify passes cadenza's conformance suites for everything it registers.

Each suite is a class of tests from `cadenza.testing`; a subclass supplies one fixture.
"""

from __future__ import annotations

import pytest
from cadenza.testing import BlockConformance, DistributionConformance

from cadenza_notify import EmailNotification, EmailServerCredentials, SlackWebhook


class TestSlackWebhook(BlockConformance):
    """Saved and loaded by name; the URL (Slack's token) never shows or is stored in clear."""

    @pytest.fixture
    def block(self) -> SlackWebhook:
        return SlackWebhook(url="https://hooks.slack.com/services/T0/B0/secret-token")


class TestEmailServerCredentials(BlockConformance):
    @pytest.fixture
    def block(self) -> EmailServerCredentials:
        return EmailServerCredentials(username="a@example.com", password="smtp-password")


class TestEmailNotification(BlockConformance):
    """A block holding another: the nested password is kept secret too."""

    @pytest.fixture
    def block(self) -> EmailNotification:
        credentials = EmailServerCredentials(username="a@example.com", password="smtp-password")
        return EmailNotification(credentials=credentials, email_to=["ops@example.com"])


class TestDistribution(DistributionConformance):
    """The `cadenza` entry point names the plugin module; the cadenza range required is bounded,
    includes this cadenza and is the plugin's CADENZA_API; the package and plugin module import in
    < 100 ms, without pydantic or the modules below."""

    distribution = "cadenza-notify"
    entry_point = "notify"
    plugin_module = "cadenza_notify.plugin"
    heavy_modules = (
        "cadenza_notify.mail",
        "cadenza_notify.slack",
        "cadenza_notify.tasks",
        "smtplib",
        "httpx",
    )
