"""Helpers of the scale-out tests (imported by name: conftest.py puts their directory on
sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from backends.server_process import ServerProcess

LEASE = 2.0  # CADENZA_SERVER_SERVICE_LEASE of the test servers
SERVICES = ("reaper", "scheduler", "retention service", "automation service")
ENV = {
    "CADENZA_SERVER_SERVICE_LEASE": str(LEASE),
    "CADENZA_SERVER_REAPER_INTERVAL": "0.1",
    "CADENZA_SERVER_SCHEDULER_INTERVAL": "0.1",
    "CADENZA_SERVER_AUTOMATIONS_INTERVAL": "0.1",
    "CADENZA_RETENTION_INTERVAL": "0.1",
    "CADENZA_RETENTION_EVENTS": "30d",
}


def start_servers(
    url: str, tmp_path: Path, count: int, env: dict[str, str] | None = None
) -> list[ServerProcess]:
    servers = []
    for i in range(count):
        home = tmp_path / f"server-{i}"
        home.mkdir()
        servers.append(ServerProcess(url, home, env={**ENV, **(env or {})}).start())
    return servers


def services(url: str) -> dict[str, Any]:
    """``GET /api/services`` of the server at `url` (a fresh connection)."""
    answer = httpx.get(f"{url}/services", timeout=10)
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]  # a JSON body is Any


def holder_pid(holder: str) -> int:
    return int(holder.split(":")[-2])


def live_holders(answer: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["holder"] for row in answer["leases"] if row["live"]}


def wait_for(check: Callable[[], Any], timeout: float, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(every)


def new_flow_run(url: str, flow_name: str) -> str:
    from cadenza._ids import new_id

    run_id = new_id()
    body = {"id": run_id, "name": run_id[-8:], "flow_name": flow_name, "created": time.time()}
    httpx.post(f"{url}/flow_runs", json=body, timeout=10).raise_for_status()
    return run_id


def set_state(url: str, run_id: str, name: str, transition_id: str | None = None) -> dict:
    state = {"type": name.upper(), "name": name, "timestamp": time.time()}
    body = {"transition_id": transition_id or name, "state": state}
    answer = httpx.post(f"{url}/flow_runs/{run_id}/set_state", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]  # a JSON body is Any
