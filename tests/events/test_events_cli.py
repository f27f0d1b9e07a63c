"""``cadenza events ls`` on the embedded record and against a server (SQLite, PostgreSQL):
listing, filters, --json, --follow seeing new events as they happen; and a worker's offline
event, noticed by the server."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from cadenza import flow

SERVERS = ["sqlite_server", pytest.param("postgresql_server", marks=pytest.mark.integration)]


def cadenza(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CADENZA_API_URL"}
    if url:
        env["CADENZA_API_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_flow(name: str, fail: bool) -> str:
    from cadenza.backends import get_backend

    @flow(name=name)
    def job() -> None:
        if fail:
            raise RuntimeError("no")

    run_id = str(job(return_state=True).state_details.flow_run_id)
    get_backend().flush()
    return run_id


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point this process's flows at a server (or, with None, at the embedded record)."""
    from cadenza.backends import reset_backend
    from cadenza.client.remote import reset_remote
    from cadenza.settings import spec

    def point(url: str | None) -> None:
        if url:
            monkeypatch.setenv("CADENZA_API_URL", url)
        else:
            monkeypatch.delenv("CADENZA_API_URL", raising=False)
        spec.reset_cache()
        reset_backend()
        reset_remote()

    yield point
    point(None)


def test_ls_on_the_embedded_record_lists_filters_and_prints_json(point_at: Any):
    point_at(None)
    failed = run_flow("etl", fail=True)
    out = cadenza("events", "ls")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3 and "cadenza.flow-run.Failed" in lines[-1] and failed in lines[-1]
    listed = json.loads(
        cadenza("events", "ls", "--json", "--event", "cadenza.flow-run.F", "--since", "1h").stdout
    )
    assert [e["event"] for e in listed] == ["cadenza.flow-run.Failed"]
    assert cadenza("events", "ls", "--json", "--flow", "other").stdout.strip() == "[]"
    assert cadenza("events", "ls", "--json", "--since", "2999-01-01").stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--since", "last week"), 2, "give a duration ago"),
        (("--limit", "0"), 2, "0 is not in the range"),
        (("--deployment", "no/such"), 1, "no deployment named"),
    ],
)
def test_bad_filters_are_one_line_errors(point_at: Any, args: tuple, code: int, says: str):
    point_at(None)
    done = cadenza("events", "ls", *args)
    assert done.returncode == code and says in done.stderr


class Follower:
    """``cadenza events ls --follow --json`` in a child process; its lines, as they come."""

    def __init__(self, url: str | None, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "CADENZA_API_URL"}
        if url:
            env["CADENZA_API_URL"] = url
        command = [
            sys.executable,
            "-m",
            "cadenza.cli.main",
            "events",
            "ls",
            "--follow",
            "--json",
            "--interval",
            "0.2",
            *args,
        ]
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def until(self, name: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {name} within {timeout} s; saw {seen}") from None
            seen.append(event)
            if event["event"] == name:
                return seen

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.mark.integration
@pytest.mark.parametrize("where", [None, *SERVERS])
def test_follow_sees_new_events(request: pytest.FixtureRequest, point_at: Any, where: str | None):
    url = request.getfixturevalue(where).url if where else None
    point_at(url)
    name = f"follow-{uuid.uuid4().hex[:8]}"
    follower = Follower(url, "--flow", name)
    try:
        time.sleep(1.0)  # it has printed what there was, and is following
        failed = run_flow(name, fail=True)
        seen = follower.until("cadenza.flow-run.Failed")
        assert [e["event"] for e in seen] == [
            "cadenza.flow-run.Pending",
            "cadenza.flow-run.Running",
            "cadenza.flow-run.Failed",
        ]
        assert seen[-1]["resource"]["cadenza.resource.id"] == f"cadenza.flow-run.{failed}"
        run_flow(name, fail=False)
        assert len(follower.until("cadenza.flow-run.Completed")) == 3  # each event once
    finally:
        follower.stop()


@pytest.mark.parametrize("where", SERVERS)
def test_a_worker_that_stops_heartbeating_goes_offline_once(
    request: pytest.FixtureRequest, where: str
):
    from cadenza.client.http import ApiClient

    server = request.getfixturevalue(where)
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    with ApiClient(server.url) as client:
        client.create_work_pool(pool)
        client.worker_heartbeat(pool, "w1", lease_seconds=0.5)
        client.worker_heartbeat(pool, "w1", lease_seconds=0.5)  # alive: no second online
        deadline = time.monotonic() + 20
        while True:
            page = client.read_events(related=[f"cadenza.work-pool.{pool}"], limit=100)
            got = [e["event"] for e in reversed(page["events"])]
            if "cadenza.worker.offline" in got or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        time.sleep(2.5)  # the server's service runs again meanwhile
        page = client.read_events(related=[f"cadenza.work-pool.{pool}"], limit=100)
        got = [e["event"] for e in reversed(page["events"])]
    assert got == ["cadenza.worker.online", "cadenza.worker.offline"]
