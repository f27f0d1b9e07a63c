"""The `cadenza` entry point of cadenza-notify (``[project.entry-points.cadenza] notify``).

cadenza imports this module whenever it loads its plugins, so it holds only the hook
implementations and `CADENZA_API`, and imports nothing but the `hookimpl` marker: the blocks and
the task are imported inside the hooks. The conformance kit checks this
(`DistributionConformance` in tests/test_notify_conformance.py).
"""

from cadenza import hookimpl

#: The cadenza versions this collection works with (a PEP 440 specifier set). A cadenza outside
#: it skips the collection and says why in `cadenza plugins ls`.
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_block_types() -> list[type]:
    """Notification blocks (automations' ``send-notification`` action sends through them)."""
    from cadenza_notify.mail import EmailNotification, EmailServerCredentials
    from cadenza_notify.slack import SlackWebhook

    return [SlackWebhook, EmailServerCredentials, EmailNotification]


@hookimpl
def register_tasks() -> list[object]:
    """Prebuilt tasks, listed by `cadenza tasks ls`."""
    from cadenza_notify.tasks import email_send_message

    return [email_send_message]
