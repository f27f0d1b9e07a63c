"""Fixtures for cadenza-notify's tests: an isolated cadenza record per test (from the
`cadenza.testing` pytest plugin), and a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what
it receives; the Slack tests post to a real local HTTP receiver (pytest-httpserver)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notify_smtp import PASSWORD, USER, Mailbox, self_signed


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """The kit's `cadenza_isolated_home`, for every test."""
    return cadenza_isolated_home


@pytest.fixture(params=["INSECURE", "STARTTLS"])
def smtp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Mailbox, str]]:
    """A real SMTP server on 127.0.0.1 that wants a login: plain, or STARTTLS."""
    mailbox = Mailbox("127.0.0.1", 0)

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            mailbox.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # a refusal answers 535

    tls = request.param == "STARTTLS"
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=tls,
        require_starttls=tls,
        tls_context=self_signed(tmp_path) if tls else None,
    )
    controller.start()
    mailbox.port = port
    try:
        yield mailbox, request.param
    finally:
        controller.stop()
