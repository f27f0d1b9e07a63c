"""`cadenza work-pools` and `cadenza work-queues` against a real server, and what the worker
commands say without one."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from click.testing import CliRunner

from cadenza.cli.main import cli


@pytest.fixture
def cadenza(client: Any) -> Any:
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def test_work_pools_round_trip(cadenza: Any, client: Any) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    out = cadenza("work-pools", "create", name, "--type", "process", "--concurrency-limit", "3")
    assert "Created work pool" in out
    cadenza("work-pools", "create", name, code=2)  # exists, no --overwrite
    cadenza("work-pools", "create", name, "--concurrency-limit", "5", "--overwrite")
    listed = {p["name"]: p for p in json.loads(cadenza("work-pools", "ls", "--json"))}
    assert listed[name]["concurrency_limit"] == 5 and listed[name]["type"] == "process"
    assert name in cadenza("work-pools", "ls")
    cadenza("work-queues", "create", "urgent", "--pool", name, "--priority", "0")
    client.worker_heartbeat(name, "w-1", 30, pid=123, hostname="here")
    pool = json.loads(cadenza("work-pools", "inspect", name, "--json"))
    assert [q["name"] for q in pool["queues"]] == ["urgent", "default"]
    assert [(w["name"], w["status"]) for w in pool["workers"]] == [("w-1", "ONLINE")]
    text = cadenza("work-pools", "inspect", name)
    assert "urgent" in text and "w-1" in text and "ONLINE" in text
    cadenza("work-queues", "pause", "urgent", "--pool", name)
    pool = json.loads(cadenza("work-pools", "inspect", name, "--json"))
    assert {q["name"]: q["paused"] for q in pool["queues"]} == {"urgent": True, "default": False}
    cadenza("work-queues", "resume", "urgent", "--pool", name)
    cadenza("work-pools", "pause", name)
    assert json.loads(cadenza("work-pools", "inspect", name, "--json"))["paused"] is True
    cadenza("work-pools", "resume", name)
    assert json.loads(cadenza("work-pools", "inspect", name, "--json"))["paused"] is False
    cadenza("work-pools", "delete", name)
    cadenza("work-pools", "inspect", name, code=1)
    assert name not in {p["name"] for p in json.loads(cadenza("work-pools", "ls", "--json"))}
