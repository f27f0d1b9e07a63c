"""Many processes against one limit, on the embedded record and on real servers (SQLite and
PostgreSQL): 100 processes contending for 5 slots never hold more than 5 (a shared, file-locked
counter and the holders' own intervals both say so), and holders killed with SIGKILL free their
slots when their leases expire, with a waiter taking them then.

The figures (most held at once, acquisitions per second, release-to-acquire latency) are
printed; ``pytest -s`` shows them.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cadenza.concurrency._api import slots_api

# Each contender: minimal imports, the record opened before the start signal, then `rounds`
# times: acquire, count itself in (file-locked counter), hold, count itself out, release.
CONTENDER = r"""
import fcntl, os, sys, time
from cadenza.concurrency.sync import concurrency
from cadenza.concurrency._api import slots_api
name, counter, events, ready, go, rounds, hold = sys.argv[1:8]
slots_api()
open(os.path.join(ready, str(os.getpid())), "w").close()
while not os.path.exists(go):
    time.sleep(0.01)

def count(delta):
    with open(counter, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        now, peak = (int(x) for x in f.read().split())
        now += delta
        f.seek(0)
        f.truncate()
        f.write(f"{now} {max(now, peak)}")

lines = []
for _ in range(int(rounds)):
    with concurrency(name, strict=True):
        entered = time.time()
        count(1)
        time.sleep(float(hold))
        count(-1)
        left = time.time()
    lines.append(f"{entered} {left}\n")
fd = os.open(events, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
os.write(fd, "".join(lines).encode())
"""

HOLDER = r"""
import os, sys, time
from cadenza.concurrency.sync import concurrency
name, ready, slots = sys.argv[1], sys.argv[2], int(sys.argv[3])
with concurrency(name, occupy=slots, strict=True):
    open(os.path.join(ready, f"{os.getpid()}"), "w").write(str(time.time()))
    time.sleep(600)
"""


def _spawn(code: str, *args: object, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        env=env or dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _wait_for_files(
    directory: Path, count: int, procs: list[subprocess.Popen], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while len(os.listdir(directory)) < count:
        failed = [p for p in procs if p.poll() not in (None, 0)]
        assert not failed, failed[0].communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline, f"only {len(os.listdir(directory))}/{count} ready"
        time.sleep(0.05)


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an end before a start at the same time)."""
    points = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals],
                    key=lambda p: (p[0], p[1]))  # fmt: skip
    open_now = peak = 0
    for _, step in points:
        open_now += step
        peak = max(peak, open_now)
    return peak


def test_max_overlap_counts_what_it_should() -> None:
    assert max_overlap([(0, 2), (1, 3), (2, 4)]) == 2
    assert max_overlap([(0, 10), (1, 2), (1.5, 3), (1.6, 1.7)]) == 4


@pytest.mark.slow
@pytest.mark.integration
def test_100_processes_never_hold_more_than_5_slots(backend, name: str, tmp_path: Path) -> None:
    processes, limit, rounds, hold = 100, 5, 2, 0.05
    slots_api().create(name, limit)
    counter, events = tmp_path / "counter", tmp_path / "events"
    ready, go = tmp_path / "ready", tmp_path / "go"
    counter.write_text("0 0")
    ready.mkdir()
    procs = [_spawn(CONTENDER, name, counter, events, ready, go, rounds, hold)
             for _ in range(processes)]  # fmt: skip
    try:
        _wait_for_files(ready, processes, procs, timeout=240)
        started = time.time()
        go.touch()
        for proc in procs:
            _out, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    now, peak = (int(x) for x in counter.read_text().split())
    intervals = [tuple(map(float, line.split())) for line in events.read_text().splitlines()]
    assert len(intervals) == processes * rounds
    assert now == 0
    assert peak == limit, f"the counter saw {peak} holders at once (limit {limit})"
    assert max_overlap(intervals) == limit  # type: ignore[arg-type]  # tuples of 2 floats, read from text
    entered = sorted(a for a, _ in intervals)
    left = sorted(b for _, b in intervals)
    handoffs = [entered[k] - left[k - limit] for k in range(limit, len(entered))]
    assert min(handoffs) >= 0  # the k-th entry came after the (k-5)-th exit, every time
    elapsed = left[-1] - started
    figures = {
        "backend": backend.kind,
        "processes": processes,
        "limit": limit,
        "acquisitions": len(intervals),
        "max_held_at_once": peak,
        "acquisitions_per_s": round(len(intervals) / elapsed, 1),
        "ideal_per_s": round(limit / hold, 1),
        "release_to_acquire_ms": {
            "median": round(statistics.median(handoffs) * 1000, 1),
            "p90": round(sorted(handoffs)[int(len(handoffs) * 0.9)] * 1000, 1),
            "max": round(max(handoffs) * 1000, 1),
        },
    }
    print("\ncontention:", json.dumps(figures))
    assert slots_api().read(name)["active_slots"] == 0


@pytest.mark.integration
def test_killed_holders_free_their_slots_when_their_leases_expire(
    backend, name: str, tmp_path: Path
) -> None:
    lease = 2.0
    env = {**os.environ, "CADENZA_CONCURRENCY_LEASE_SECONDS": str(lease)}
    slots_api().create(name, 4)
    ready = tmp_path / "ready"
    ready.mkdir()
    holders = [_spawn(HOLDER, name, ready, 1, env=env) for _ in range(4)]
    victims = holders[:]
    try:
        _wait_for_files(ready, 4, holders, timeout=120)
        doomed_ready = tmp_path / "doomed"
        doomed_ready.mkdir()
        doomed = [_spawn(HOLDER, name, doomed_ready, 1, env=env) for _ in range(3)]  # waiters
        survivor_ready = tmp_path / "survivor"
        survivor_ready.mkdir()
        survivor = _spawn(HOLDER, name, survivor_ready, 4, env=env)  # waits for all four
        victims += doomed
        time.sleep(2.0)  # every waiter is queued
        assert os.listdir(doomed_ready) == [] and os.listdir(survivor_ready) == []
        limit = slots_api().read(name)
        assert limit["active_slots"] == 4
        assert {x["holder"]["pid"] for x in limit["leases"]} == {p.pid for p in holders}
        for proc in victims:
            os.kill(proc.pid, signal.SIGKILL)
        killed = time.time()
        for proc in victims:
            proc.wait(10)
        time.sleep(0.3)
        assert slots_api().read(name)["active_slots"] == 4  # held until the leases expire
        _wait_for_files(survivor_ready, 1, [survivor], timeout=lease + 10)
        taken = float((survivor_ready / os.listdir(survivor_ready)[0]).read_text())
        print(f"\nkilled holders' slots taken by a waiter {taken - killed:.2f} s after SIGKILL "
              f"(lease {lease} s)")  # fmt: skip
        assert taken - killed <= lease + 1.0
        (lease_row,) = slots_api().read(name)["leases"]
        assert lease_row["holder"]["pid"] == survivor.pid and lease_row["slots"] == 4
        os.kill(survivor.pid, signal.SIGKILL)
        survivor.wait(10)
        deadline = time.monotonic() + lease + 5
        while slots_api().read(name)["active_slots"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert slots_api().read(name)["active_slots"] == 0  # no operator action, no leak
    finally:
        for proc in [*victims, *(locals().get("doomed") or []), locals().get("survivor")]:
            if proc is not None and proc.poll() is None:
                proc.kill()


RATE_CALLER = r"""
import os, sys, time
from cadenza.concurrency.sync import rate_limit
from cadenza.concurrency._api import slots_api
name, events, ready, go, calls = sys.argv[1:6]
slots_api()
open(os.path.join(ready, str(os.getpid())), "w").close()
while not os.path.exists(go):
    time.sleep(0.01)
stamps = []
for _ in range(int(calls)):
    rate_limit(name, strict=True)
    stamps.append(f"{time.time()}\n")
fd = os.open(events, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
os.write(fd, "".join(stamps).encode())
"""


@pytest.mark.integration
def test_a_rate_limit_holds_its_rate_across_processes(backend, name: str, tmp_path: Path) -> None:
    burst, decay, processes, calls = 3, 10.0, 3, 10
    slots_api().create(name, burst, slot_decay_per_second=decay)
    events, ready, go = tmp_path / "events", tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    procs = [_spawn(RATE_CALLER, name, events, ready, go, calls) for _ in range(processes)]
    try:
        _wait_for_files(ready, processes, procs, timeout=120)
        go.touch()
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    stamps = sorted(float(line) for line in events.read_text().split())
    assert len(stamps) == processes * calls
    after_burst = stamps[burst - 1 :]
    sustained = (len(after_burst) - 1) / (after_burst[-1] - after_burst[0])
    print(f"\nrate limit of {decay:g}/s, {processes} processes: {sustained:.2f} calls/s sustained")
    assert decay * 0.8 < sustained <= decay * 1.05
    # never more than the burst plus what decayed, in any window
    for i, start in enumerate(stamps):
        within = [t for t in stamps[i:] if t - start < 1.0]
        assert len(within) <= burst + decay * 1.0 + 1
