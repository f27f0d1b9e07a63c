"""Three server processes on one PostgreSQL database serve one API: each singleton service runs
in one process at a time and moves to another within its lease when that process is killed
(``kill -9``); a write through any process is read at once through any other; each run's events
stay in the order its transitions were accepted, whichever processes accepted them."""

from __future__ import annotations

import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from scaleout_helpers import (
    LEASE,
    SERVICES,
    holder_pid,
    live_holders,
    new_flow_run,
    services,
    set_state,
    start_servers,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_each_service_runs_in_one_process_and_moves_on_when_it_freezes_or_is_killed(
    pg_url: str, tmp_path: Path
) -> None:
    servers = start_servers(pg_url, tmp_path, 3)
    try:
        by_pid = {s.proc.pid: s for s in servers}  # type: ignore[union-attr]  # a started server has its proc
        time.sleep(1.0)  # many rounds of every service
        views = [services(s.url) for s in servers]
        holders = live_holders(views[0])
        assert sorted(holders) == sorted(SERVICES)
        assert all(live_holders(v) == holders for v in views)  # one database, one answer
        first = by_pid[holder_pid(holders["reaper"])]
        assert first is servers[0]  # the first up claimed them all
        for view, server in zip(views, servers, strict=True):
            rounds = view["process"]["rounds"]
            if server is first:
                assert sorted(view["process"]["holds"]) == sorted(SERVICES)
                assert all(rounds[name] >= 3 for name in SERVICES), rounds
            else:
                assert view["process"]["holds"] == []
                assert all(n == 0 for n in rounds.values()), rounds  # never ran a round

        # 1. the holder freezes (alive, renewing nothing): its leases run out, then move
        first_pid = first.proc.pid  # type: ignore[union-attr]  # a started server has its proc
        os.kill(first_pid, signal.SIGSTOP)
        frozen = time.monotonic()
        others = [s for s in servers if s is not first]
        held = wait_for(lambda: _moved_from(others[0].url, first_pid), LEASE + LEASE / 3 + 3)
        took = time.monotonic() - frozen
        assert took <= LEASE + LEASE / 3 + 1.0, took
        os.kill(first_pid, signal.SIGCONT)
        time.sleep(0.5)  # woken, it finds every lease held: it runs nothing
        before = services(first.url)["process"]
        time.sleep(1.0)
        after = services(first.url)["process"]
        assert before["holds"] == after["holds"] == []
        assert before["rounds"] == after["rounds"]

        # 2. the new holder of the reaper is killed (kill -9), with runs left to reap
        second_pid = holder_pid(held["reaper"])
        second = by_pid[second_pid]
        flow = f"orphans-{uuid.uuid4().hex[:6]}"
        orphans = [new_flow_run(second.url, flow) for _ in range(5)]
        for run_id in orphans:
            for name in ("Pending", "Running"):
                assert set_state(second.url, run_id, name)["decision"] == "ACCEPT"
        httpx.post(
            f"{second.url}/heartbeats", json={"flow_run_ids": orphans, "lease_seconds": 1.5}
        ).raise_for_status()
        second.kill()  # SIGKILL: no lease is given up
        killed = time.monotonic()
        survivors = [s for s in servers if s is not second]
        held = wait_for(lambda: _moved_from(survivors[0].url, second_pid), LEASE + LEASE / 3 + 3)
        assert time.monotonic() - killed <= LEASE + LEASE / 3 + 1.0

        def crashed() -> bool:
            runs = [httpx.get(f"{survivors[1].url}/flow_runs/{r}").json() for r in orphans]
            return all(run["state"]["type"] == "CRASHED" for run in runs)

        wait_for(crashed, timeout=10)
        for run_id in orphans:  # Crashed once, by whichever reaper
            page = httpx.get(
                f"{survivors[0].url}/events",
                params={"resource": f"cadenza.flow-run.{run_id}", "limit": 50},
            ).json()
            names = [e["event"] for e in page["events"]]
            assert names.count("cadenza.flow-run.Crashed") == 1, names

        # 3. from here on each service runs in its holder only
        time.sleep(0.3)
        start = {s.proc.pid: services(s.url)["process"] for s in survivors}  # type: ignore[union-attr]  # a started server has its proc
        time.sleep(1.0)
        end = {s.proc.pid: services(s.url)["process"] for s in survivors}  # type: ignore[union-attr]  # a started server has its proc
        held = live_holders(services(survivors[0].url))
        for name in SERVICES:
            holder = holder_pid(held[name])
            ran = {pid for pid in end if end[pid]["rounds"][name] > start[pid]["rounds"][name]}
            assert ran == {holder}, (name, ran, holder)
            assert [pid for pid in end if name in end[pid]["holds"]] == [holder]
    finally:
        for server in servers:
            if server.proc is not None and server.proc.poll() is None:
                os.kill(server.proc.pid, signal.SIGCONT)
            server.stop()


def _moved_from(url: str, gone: int) -> dict[str, str] | None:
    """The live leases, once none is held by the process `gone` any more."""
    held = live_holders(services(url))
    if sorted(held) != sorted(SERVICES):
        return None
    return None if any(holder_pid(h) == gone for h in held.values()) else held


def test_a_process_stopped_normally_hands_its_services_on_at_once(
    pg_url: str, tmp_path: Path
) -> None:
    servers = start_servers(pg_url, tmp_path, 2)
    try:
        assert set(live_holders(services(servers[1].url))) == set(SERVICES)
        servers[0].stop()  # SIGTERM: the leases are given up as it exits
        stopped = time.monotonic()
        wait_for(
            lambda: sorted(services(servers[1].url)["process"]["holds"]) == sorted(SERVICES),
            timeout=LEASE,
        )
        assert time.monotonic() - stopped < LEASE * 0.8  # sooner than any lease could expire
    finally:
        for server in servers:
            server.stop()


def test_a_write_through_one_process_is_read_at_once_through_every_other(
    pg_url: str, tmp_path: Path
) -> None:
    servers = start_servers(pg_url, tmp_path, 3)
    urls = [s.url for s in servers]
    try:
        flow = f"everywhere-{uuid.uuid4().hex[:6]}"
        for i in range(30):
            writer, reader, third = urls[i % 3], urls[(i + 1) % 3], urls[(i + 2) % 3]
            run_id = new_flow_run(writer, flow)
            assert httpx.get(f"{reader}/flow_runs/{run_id}").status_code == 200
            set_state(reader, run_id, "Pending")
            assert httpx.get(f"{third}/flow_runs/{run_id}").json()["state"]["type"] == "PENDING"
            name = f"v{i}"
            httpx.put(f"{third}/variables/{name}", json={"value": i}).raise_for_status()
            assert httpx.get(f"{writer}/variables/{name}").json()["value"] == i
            again = {"value": -i, "overwrite": True}
            httpx.put(f"{writer}/variables/{name}", json=again).raise_for_status()
            assert httpx.get(f"{reader}/variables/{name}").json()["value"] == -i  # not cached
        limit = httpx.post(f"{urls[0]}/concurrency_limits", json={"name": "db", "limit": 1})
        limit.raise_for_status()
        httpx.patch(f"{urls[1]}/concurrency_limits/db", json={"limit": 7}).raise_for_status()
        assert httpx.get(f"{urls[2]}/concurrency_limits/db").json()["limit"] == 7
        listed = httpx.get(f"{urls[2]}/flow_runs", params={"flow_name": flow, "limit": 100})
        assert len(listed.json()) == 30
    finally:
        for server in servers:
            server.stop()


def test_each_run_s_events_keep_the_order_of_its_transitions_across_processes(
    pg_url: str, tmp_path: Path
) -> None:
    servers = start_servers(pg_url, tmp_path, 3)
    urls = [s.url for s in servers]
    path = ("Scheduled", "Pending", "Running", "Paused", "Running", "Paused", "Running")
    path += ("Completed",)
    try:
        flow = f"ordered-{uuid.uuid4().hex[:6]}"

        def drive(k: int) -> str:
            run_id = new_flow_run(urls[k % 3], flow)
            for step, name in enumerate(path):  # each step through the next process
                decision = set_state(urls[(k + step) % 3], run_id, name, f"{name}-{step}")
                assert decision["decision"] == "ACCEPT", decision
            return run_id

        with ThreadPoolExecutor(12) as pool:
            runs = list(pool.map(drive, range(36)))
        for k, run_id in enumerate(runs):
            page = httpx.get(
                f"{urls[k % 3]}/events",
                params={"resource": f"cadenza.flow-run.{run_id}", "limit": 50},
            ).json()
            names = [e["event"].rsplit(".", 1)[1] for e in reversed(page["events"])]
            assert names == list(path), (run_id, names)
            states = httpx.get(f"{urls[(k + 1) % 3]}/flow_runs/{run_id}").json()
            assert states["state"]["type"] == "COMPLETED"
    finally:
        for server in servers:
            server.stop()
