"""E-mail over SMTP: `EmailServerCredentials` (the block of prefect-email, with its fields) and
`EmailNotification`, a notification block that mails each notification to a list of addresses.

    credentials = EmailServerCredentials(
        username="alerts@example.com", password="...", smtp_server="smtp.example.com",
        smtp_type="STARTTLS",
    )
    EmailNotification(credentials=credentials, email_to=["ops@example.com"]).save("ops")
    EmailNotification.load("ops").notify("The nightly load failed", subject="etl")

Sending uses the standard library (`smtplib`, `email`). The password is a `SecretStr`: stored
encrypted, never shown, and replaced by ``***`` in any error message.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from enum import Enum

from cadenza.blocks.core import Block
from cadenza.blocks.notifications import NotificationBlock, NotificationError, scrub
from pydantic import Field, SecretStr


class SMTPType(str, Enum):
    """How to talk to the server: TLS from the start, STARTTLS, or in the clear."""

    SSL = "SSL"
    STARTTLS = "STARTTLS"
    INSECURE = "INSECURE"


_DEFAULT_PORTS = {SMTPType.SSL: 465, SMTPType.STARTTLS: 587, SMTPType.INSECURE: 25}


class EmailServerCredentials(Block):
    """An SMTP server and the account to send with."""

    _block_type_slug = "email-server-credentials"
    _block_type_name = "Email Server Credentials"
    _documentation_url = "docs/collections/notify.md"

    username: str | None = Field(None, description="The account to log in as (none: no login).")
    password: SecretStr = Field(
        default_factory=lambda: SecretStr(""), description="Its password, stored encrypted."
    )
    smtp_server: str = Field("smtp.gmail.com", description="The server's host name.")
    smtp_type: SMTPType = Field(SMTPType.SSL, description="SSL, STARTTLS or INSECURE.")
    smtp_port: int | None = Field(None, ge=1, le=65535, description="Default: by smtp_type.")
    verify: bool = Field(True, description="Verify the server's TLS certificate.")
    timeout: float = Field(30.0, gt=0, le=600, description="Seconds to wait for the server.")

    def get_server(self) -> smtplib.SMTP:
        """A connected SMTP client, logged in when `username` is set (the caller closes it)."""
        port = self.smtp_port or _DEFAULT_PORTS[self.smtp_type]
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        server: smtplib.SMTP
        if self.smtp_type == SMTPType.SSL:
            server = smtplib.SMTP_SSL(self.smtp_server, port, context=context, timeout=self.timeout)
        else:
            server = smtplib.SMTP(self.smtp_server, port, timeout=self.timeout)
            if self.smtp_type == SMTPType.STARTTLS:
                server.starttls(context=context)
        if self.username:
            server.login(self.username, self.password.get_secret_value())
        return server


class EmailNotification(NotificationBlock):
    """Mails each notification to `email_to`, through `credentials`' server."""

    _block_type_slug = "email-notification"
    _block_type_name = "Email Notification"
    _documentation_url = "docs/collections/notify.md"

    credentials: EmailServerCredentials = Field(description="The server to send through.")
    email_to: list[str] = Field(min_length=1, description="Who receives the notifications.")
    email_from: str | None = Field(None, description="The sender (default: the username).")

    def notify(self, body: str, subject: str | None = None) -> None:
        message = EmailMessage()
        message["Subject"] = subject or "Cadenza notification"
        message["From"] = self.email_from or self.credentials.username or "cadenza@localhost"
        message["To"] = ", ".join(self.email_to)
        message.set_content(body)
        try:
            with self.credentials.get_server() as server:
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            raise NotificationError(
                scrub(f"The e-mail notification failed: {problem}", self)
            ) from None
