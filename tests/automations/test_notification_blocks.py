"""The built-in notification blocks against a real local HTTP receiver (pytest-httpserver):
templates, retries with backoff, secrets that never show, and the block types registered."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from cadenza.blocks.notifications import (
    CustomWebhookNotificationBlock,
    NotificationBlock,
    NotificationError,
)
from cadenza.blocks.webhook import Webhook
from cadenza.testing import BlockConformance

TOKEN = "t0k3n-Sup3rS3cret"


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    import cadenza.blocks.notifications as notifications

    monkeypatch.setattr(notifications, "BACKOFF", 0.01)


def test_a_custom_webhook_fills_its_templates_and_secrets(httpserver: HTTPServer):
    httpserver.expect_request(f"/hooks/{TOKEN}", method="POST").respond_with_data("ok")
    CustomWebhookNotificationBlock(
        name="ops",
        url=httpserver.url_for("/hooks/{{token}}"),
        json_data={"text": "{{subject}}: {{body}}", "from": "{{name}}"},
        headers={"X-Token": "{{token}}"},
        secrets={"token": TOKEN},
    ).save("ops")
    block = CustomWebhookNotificationBlock.load("ops")
    assert isinstance(block, NotificationBlock) and TOKEN not in repr(block)
    block.notify("the load failed", subject="etl")
    request, _response = httpserver.log[0]
    assert json.loads(request.data) == {"text": "etl: the load failed", "from": "ops"}
    assert request.headers["X-Token"] == TOKEN


def test_a_failed_delivery_is_retried_with_backoff_then_reported_without_secrets(
    httpserver: HTTPServer,
):
    httpserver.expect_ordered_request(f"/{TOKEN}").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(f"/{TOKEN}").respond_with_data("ok")
    block = CustomWebhookNotificationBlock(
        name="flaky", url=httpserver.url_for("/{{token}}"), secrets={"token": TOKEN}
    )
    block.notify("hello")
    assert len(httpserver.log) == 2  # one 503, then delivered

    httpserver.clear()
    httpserver.expect_request(f"/{TOKEN}").respond_with_data("down", status=500)
    with pytest.raises(NotificationError) as caught:
        block.notify("hello")
    assert len(httpserver.log) == 3 and "HTTP 500" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_refused_request_is_not_retried(httpserver: HTTPServer):
    httpserver.expect_request("/hook").respond_with_data("no", status=404)
    with pytest.raises(NotificationError, match="HTTP 404"):
        CustomWebhookNotificationBlock(name="x", url=httpserver.url_for("/hook")).notify("x")
    assert len(httpserver.log) == 1


def test_an_unreachable_url_names_no_secret():
    block = Webhook(url=f"http://127.0.0.1:9/{TOKEN}", timeout=1)
    with pytest.raises(NotificationError) as caught:
        block.call({"a": 1})
    assert "ConnectError" in str(caught.value) and TOKEN not in str(caught.value)


def test_a_webhook_block_sends_json_or_text_with_its_secret_headers(httpserver: HTTPServer):
    httpserver.expect_request("/deploy").respond_with_data("ok")
    Webhook(url=httpserver.url_for("/deploy"), headers={"Authorization": f"Bearer {TOKEN}"}).save(
        "deploy"
    )
    hook = Webhook.load("deploy")
    assert hook.call({"ref": "main"}).status_code == 200
    hook.call("plain text")
    (first, _), (second, _) = httpserver.log
    assert json.loads(first.data) == {"ref": "main"} and second.data == b"plain text"
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"


def test_both_bodies_at_once_are_refused():
    with pytest.raises(ValueError, match="not both"):
        CustomWebhookNotificationBlock(name="x", url="http://h", json_data={}, form_data={})


def test_the_blocks_are_built_in_types():
    from cadenza.blocks.registry import block_types

    types = block_types()
    assert types["custom-webhook"] is CustomWebhookNotificationBlock
    assert types["webhook"] is Webhook


class TestCustomWebhookConformance(BlockConformance):
    @pytest.fixture
    def block(self) -> CustomWebhookNotificationBlock:
        return CustomWebhookNotificationBlock(
            name="ops", url="https://hooks.example.com/{{token}}", secrets={"token": TOKEN}
        )


class TestWebhookConformance(BlockConformance):
    @pytest.fixture
    def block(self) -> Webhook:
        return Webhook(url=f"https://hooks.example.com/{TOKEN}", headers={"X-Key": TOKEN})
