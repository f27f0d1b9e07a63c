"""Notifications for cadenza: Slack and e-mail (SMTP) notification blocks for automations.

    from cadenza_notify import EmailNotification, EmailServerCredentials, SlackWebhook

    SlackWebhook(url="https://hooks.slack.com/services/...").save("alerts")

Importing this package imports nothing heavy: cadenza imports `cadenza_notify.plugin` (and so this
package) every time it loads its plugins, so the names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_notify.mail import EmailNotification, EmailServerCredentials, SMTPType
    from cadenza_notify.slack import SlackWebhook
    from cadenza_notify.tasks import email_send_message

# public name -> the module that defines it
_LAZY = {
    "EmailNotification": "cadenza_notify.mail",
    "EmailServerCredentials": "cadenza_notify.mail",
    "SMTPType": "cadenza_notify.mail",
    "SlackWebhook": "cadenza_notify.slack",
    "email_send_message": "cadenza_notify.tasks",
}

__all__ = [
    "EmailNotification",
    "EmailServerCredentials",
    "SMTPType",
    "SlackWebhook",
    "__version__",
    "email_send_message",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-notify")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])
