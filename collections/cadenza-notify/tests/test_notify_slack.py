"""The Slack block posts to a real local HTTP receiver (pytest-httpserver) standing in for
Slack's incoming-webhook URL; its token never shows."""

from __future__ import annotations

import json

import pytest
from cadenza.blocks.notifications import NotificationError
from pytest_httpserver import HTTPServer

from cadenza_notify import SlackWebhook

TOKEN = "T000/B000/xoxb-secret-part"


def test_a_notification_is_posted_as_slack_text(httpserver: HTTPServer):
    httpserver.expect_request(f"/services/{TOKEN}", method="POST").respond_with_data("ok")
    SlackWebhook(url=httpserver.url_for(f"/services/{TOKEN}")).save("alerts")
    block = SlackWebhook.load("alerts")
    assert TOKEN not in repr(block) and TOKEN not in block.model_dump_json()
    block.notify("The nightly load failed", subject="etl")
    block.notify("plain")
    texts = [json.loads(request.data)["text"] for request, _ in httpserver.log]
    assert texts == ["*etl*\nThe nightly load failed", "plain"]


def test_slack_refusing_the_post_is_an_error_without_the_token(httpserver: HTTPServer):
    httpserver.expect_request(f"/services/{TOKEN}").respond_with_data("no_service", status=404)
    with pytest.raises(NotificationError, match="HTTP 404") as caught:
        SlackWebhook(url=httpserver.url_for(f"/services/{TOKEN}")).notify("x")
    assert TOKEN not in str(caught.value)
