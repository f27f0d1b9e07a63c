"""``cadenza automations``: create from a YAML or JSON file or from flags, ls, inspect, pause,
resume, delete, --json; bad input exits non-zero with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest


def cadenza(server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CADENZA_API_URL": server.url}
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def ok(server: Any, *args: str) -> str:
    done = cadenza(server, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_create_from_yaml_then_ls_inspect_pause_resume_delete(
    server: Any, tmp_path: Path, cleanup: list[str]
):
    name = f"yaml-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "automation.yaml"
    path.write_text(
        f"name: {name}\n"
        "description: cancel what runs too long\n"
        "trigger:\n"
        "  posture: Proactive\n"
        "  after: [cadenza.flow-run.Running]\n"
        "  expect: ['cadenza.flow-run.*']\n"
        "  for_each: [cadenza.resource.id]\n"
        "  within: PT30M\n"
        "actions:\n"
        "  - type: cancel-flow-run\n"
    )
    created = json.loads(ok(server, "automations", "create", "--from-file", str(path), "--json"))
    cleanup.append(created["id"])
    assert created["trigger"]["within"] == 1800.0

    listed = json.loads(ok(server, "automations", "ls", "--json"))
    assert name in [a["name"] for a in listed]
    assert name in ok(server, "automations", "ls")
    shown = ok(server, "automations", "inspect", name)
    assert "Proactive: fewer than 1 x cadenza.flow-run.* within 1800 s" in shown
    assert "cancel-flow-run" in shown

    assert "Paused" in ok(server, "automations", "pause", name)
    assert (
        json.loads(ok(server, "automations", "inspect", created["id"], "--json"))["enabled"]
        is False
    )
    ok(server, "automations", "resume", created["id"])
    assert json.loads(ok(server, "automations", "inspect", name, "--json"))["enabled"] is True
    assert "Deleted" in ok(server, "automations", "delete", name)
    gone = cadenza(server, "automations", "inspect", name)
    assert gone.returncode == 1 and "No automation" in gone.stderr


def test_create_from_flags_resolves_blocks_and_deployments(
    server: Any, client: Any, cleanup: list[str]
):
    from cadenza.blocks.webhook import Webhook

    Webhook(url="http://127.0.0.1:9/hook").save("flags-hook")
    flow_name = f"flags-{uuid.uuid4().hex[:8]}"
    deployment = client.apply_deployment({"flow_name": flow_name, "name": "nightly"})
    out = ok(
        server,
        "automations",
        "create",
        "--name",
        "flags",
        "--on",
        "cadenza.flow-run.Failed",
        "--deployment",
        f"{flow_name}/nightly",
        "--threshold",
        "2",
        "--within",
        "10m",
        "--webhook",
        "webhook/flags-hook",
        "--pause-deployment",
        "--json",
    )
    created = json.loads(out)
    cleanup.append(created["id"])
    assert created["trigger"]["match_related"] == [
        {"cadenza.resource.id": f"cadenza.deployment.{deployment['id']}"}
    ]
    assert created["trigger"]["within"] == 600.0 and created["trigger"]["threshold"] == 2
    assert [a["type"] for a in created["actions"]] == ["pause-deployment", "call-webhook"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("name: x\ntrigger: [unclosed", "not valid YAML"),
        ("- 1\n- 2\n", "must hold an automation"),
        ("name: x\ntrigger: {threshold: 0}\n", "greater than or equal to 1"),
        ("name: x\ntrigger: {}\nactions: [{type: launch-rockets}]\n", "unknown action type"),
    ],
)
def test_a_bad_file_is_one_line_and_exit_2(server: Any, tmp_path: Path, content: str, says: str):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    done = cadenza(server, "automations", "create", "--from-file", str(path))
    assert done.returncode == 2 and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_flags_without_an_action_or_event_are_refused(server: Any):
    done = cadenza(server, "automations", "create", "--name", "x", "--on", "a.b")
    assert done.returncode == 2 and "Give it an action" in done.stderr
    done = cadenza(server, "automations", "create", "--name", "x", "--cancel")
    assert done.returncode == 2 and "--on EVENT" in done.stderr


def test_without_a_server_it_says_where_automations_live(monkeypatch: pytest.MonkeyPatch):
    env = {k: v for k, v in os.environ.items() if k != "CADENZA_API_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "automations", "ls"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "live on a cadenza server" in done.stderr
