"""Helpers of the automation tests (imported by name: pytest puts this directory on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backends.server_process import ServerProcess

INTERVAL = "0.2"


def start_server(database_url: str, home: Path, **env: str) -> ServerProcess:
    settings = {"CADENZA_SERVER_AUTOMATIONS_INTERVAL": INTERVAL, **env}
    return ServerProcess(database_url, home, env=settings).start()


class use_server:
    """Point this process at `process` (CADENZA_API_URL) for the block of a `with`."""

    def __init__(self, process: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> None:
        self.process, self.monkeypatch = process, monkeypatch

    def __enter__(self) -> ServerProcess:
        self.monkeypatch.setenv("CADENZA_API_URL", self.process.url)
        self.monkeypatch.delenv("CADENZA_API_KEY", raising=False)
        _reset()
        return self.process

    def __exit__(self, *exc: object) -> None:
        _reset()


def _reset() -> None:
    from cadenza.backends import reset_backend
    from cadenza.blocks.store import reset_stores
    from cadenza.client.remote import reset_remote
    from cadenza.settings import spec

    spec.reset_cache()
    reset_backend()
    reset_remote()
    reset_stores()


def wait_for(check: Callable[[], Any], timeout: float = 15.0, every: float = 0.05) -> Any:
    """`check()` once it is truthy; AssertionError naming the timeout otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(every)


def events_of(client: Any, automation_id: str, prefix: str = "cadenza.automation.") -> list:
    """The events the automation recorded (triggered, action executed/failed), oldest first."""
    page = client.read_events(
        event=[prefix], resource=[f"cadenza.automation.{automation_id}"], limit=1000
    )
    return list(reversed(page["events"]))


def new_flow_run(client: Any, flow_name: str, *states: str) -> str:
    """A flow run created through the API and moved through `states` (e.g. "Running",
    "Failed"), each transition accepted; its id."""
    from cadenza._ids import new_id

    run_id = new_id()
    client.create_flow_run(
        {"id": run_id, "name": run_id[-8:], "flow_name": flow_name, "created": time.time()}
    )
    for name in ("Pending", *states):
        state = {"type": name.upper(), "name": name, "timestamp": time.time()}
        decision = client.set_state(run_id, {"transition_id": name, "state": state})
        assert decision["decision"] == "ACCEPT", decision
    return run_id
