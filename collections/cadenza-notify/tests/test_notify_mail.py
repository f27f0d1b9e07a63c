"""E-mail notifications through a real SMTP server on 127.0.0.1 (aiosmtpd), with a login, in
the clear and with STARTTLS."""

from __future__ import annotations

from typing import Any

import pytest
from cadenza import flow
from cadenza.blocks.notifications import NotificationBlock, NotificationError

from cadenza_notify import EmailNotification, EmailServerCredentials, email_send_message
from notify_smtp import PASSWORD, USER, Mailbox


def credentials(mailbox: Mailbox, kind: str, password: str = PASSWORD) -> EmailServerCredentials:
    return EmailServerCredentials(
        username=USER,
        password=password,
        smtp_server=mailbox.host,
        smtp_port=mailbox.port,
        smtp_type=kind,
        verify=False,
    )


def test_a_notification_is_mailed_to_each_address(smtp: tuple[Mailbox, str]):
    mailbox, kind = smtp
    EmailNotification(
        credentials=credentials(mailbox, kind), email_to=["ops@example.com", "dev@example.com"]
    ).save("ops")
    block = EmailNotification.load("ops")
    assert isinstance(block, NotificationBlock) and PASSWORD not in repr(block)
    block.notify("The nightly load failed", subject="etl failed")
    (message,) = mailbox.messages
    assert message["Subject"] == "etl failed" and message["From"] == USER
    assert message.get_payload().strip() == "The nightly load failed"
    assert mailbox.recipients == [["ops@example.com", "dev@example.com"]]
    assert mailbox.logins == [USER]


def test_a_refused_login_is_an_error_without_the_password(smtp: tuple[Mailbox, str]):
    mailbox, kind = smtp
    wrong = "wr0ng-pa55word-xyz"
    block = EmailNotification(credentials=credentials(mailbox, kind, wrong), email_to=["a@b.c"])
    with pytest.raises(NotificationError, match="SMTPAuthenticationError") as caught:
        block.notify("x")
    assert wrong not in str(caught.value) and mailbox.messages == []


def test_an_unreachable_server_is_a_notification_error():
    block = EmailNotification(
        credentials=EmailServerCredentials(
            smtp_server="127.0.0.1", smtp_port=9, smtp_type="INSECURE", timeout=2
        ),
        email_to=["a@b.c"],
    )
    with pytest.raises(NotificationError, match="ConnectionRefusedError"):
        block.notify("x")


def test_the_task_sends_from_a_flow(smtp: tuple[Mailbox, str]):
    mailbox, kind = smtp

    @flow
    def report(creds: Any) -> str:
        sent = email_send_message("weekly", "all good", creds, email_to="boss@example.com")
        return str(sent["To"])

    assert report(credentials(mailbox, kind)) == "boss@example.com"
    assert [m["Subject"] for m in mailbox.messages] == ["weekly"]


def test_an_address_list_is_required():
    with pytest.raises(ValueError, match="email_to"):
        EmailNotification(credentials=EmailServerCredentials(), email_to=[])
