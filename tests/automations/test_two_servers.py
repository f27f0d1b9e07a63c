"""Two server processes on one PostgreSQL database both run the automation service: each
failure fires the automation once, never twice."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from automation_helpers import new_flow_run, start_server, use_server, wait_for
from cryptography.fernet import Fernet
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cadenza.blocks.webhook import Webhook
from cadenza.client.http import ApiClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RUNS = 40


def test_two_servers_on_one_postgresql_fire_once_per_event(
    pg_url: str, tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
):
    got: list[str] = []

    def handle(request: Request) -> Response:
        got.append(request.get_data(as_text=True))
        return Response("ok")

    httpserver.expect_request("/once").respond_with_handler(handle)
    key = Fernet.generate_key().decode()  # servers of one database share its key
    servers = [
        start_server(
            pg_url,
            tmp_path / name,
            CADENZA_SERVER_AUTOMATIONS_INTERVAL="0.1",
            CADENZA_ENCRYPTION_KEY=key,
        )
        for name in ("a", "b")
        if (tmp_path / name).mkdir() is None
    ]
    clients = [ApiClient(s.url) for s in servers]
    try:
        with use_server(servers[0], monkeypatch):
            block_id = Webhook(url=httpserver.url_for("/once")).save("once")
        flow_name = f"twice-{uuid.uuid4().hex[:6]}"
        clients[1].create_automation(
            {
                "name": "once",
                "trigger": {"expect": ["cadenza.flow-run.Failed"]},
                "actions": [
                    {
                        "type": "call-webhook",
                        "block_document_id": block_id,
                        "payload": "{{ event.resource['cadenza.resource.id'] }}",
                    }
                ],
            }
        )
        with ThreadPoolExecutor(8) as pool:
            runs = list(
                pool.map(
                    lambda i: new_flow_run(clients[i % 2], flow_name, "Running", "Failed"),
                    range(RUNS),
                )
            )
        wait_for(lambda: len(got) >= RUNS, timeout=60)
        time.sleep(2.0)  # both services have had many rounds since
        assert sorted(got) == sorted(f"cadenza.flow-run.{r}" for r in runs)
        triggered = clients[0].read_events(event=["cadenza.automation.triggered"], limit=1000)
        assert len(triggered["events"]) == RUNS
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.stop()
