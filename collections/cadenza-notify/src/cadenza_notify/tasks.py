"""`email_send_message`: send an e-mail from a flow (the task of prefect-email)."""

from __future__ import annotations

from email.message import EmailMessage

from cadenza import task

from cadenza_notify.mail import EmailServerCredentials


@task(name="email_send_message")
def email_send_message(
    subject: str,
    msg: str,
    email_server_credentials: EmailServerCredentials,
    email_to: str | list[str],
    email_from: str | None = None,
) -> EmailMessage:
    """Send `msg` (plain text) to `email_to`; returns the message sent."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = email_from or email_server_credentials.username or "cadenza@localhost"
    message["To"] = email_to if isinstance(email_to, str) else ", ".join(email_to)
    message.set_content(msg)
    with email_server_credentials.get_server() as server:
        server.send_message(message)
    return message
