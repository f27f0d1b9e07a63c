"""Tag limits: at most N task runs carrying tag T run at once across every process that reports
to the same record (the embedded record, or a server on SQLite or PostgreSQL); a task run
waiting for its tag's slot is Pending; task runs without a limited tag are not held back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cadenza import flow, task
from cadenza.concurrency._api import slots_api
from cadenza.concurrency.sync import concurrency
from cadenza.concurrency.tag_limits import limit_names
from cadenza.settings import spec

pytestmark = pytest.mark.integration

FLOW = r"""
import os, sys, time
from cadenza import flow, task
tag, events, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

@task(tags=[tag, "unlimited"])
def work(i):
    entered = time.time()
    time.sleep(0.3)
    fd = os.open(events, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, f"{entered} {time.time()}\n".encode())
    os.close(fd)
    return i

@flow
def many():
    return [f.result() for f in [work.submit(i) for i in range(n)]]

assert many() == list(range(n))
"""


def _overlap(intervals: list[tuple[float, float]]) -> int:
    points = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals])
    now = peak = 0
    for _, step in points:
        now += step
        peak = max(peak, now)
    return peak


def test_a_tag_limit_holds_across_processes(backend, name: str, tmp_path: Path) -> None:
    tag = name
    slots_api().create(f"tag:{tag}", 2)
    events = tmp_path / "events"
    env = {**os.environ, "CADENZA_LOGGING_CONSOLE": "false"}
    procs = [
        subprocess.Popen([sys.executable, "-c", FLOW, tag, str(events), "4"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]  # fmt: skip
    for proc in procs:
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]
    intervals = [tuple(map(float, line.split())) for line in events.read_text().splitlines()]
    assert len(intervals) == 12
    assert _overlap(intervals) == 2  # type: ignore[arg-type]  # tuples of 2 floats, read from text
    assert slots_api().read(f"tag:{tag}")["active_slots"] == 0


def _task_states(task_name: str, cadenza_home: Path) -> list[str]:
    if spec.get("CADENZA_API_URL"):
        from cadenza.client.http import client_from_settings

        with client_from_settings() as client:
            return [r["state"]["type"] for r in client.list_task_runs(task_name=task_name)]
    conn = sqlite3.connect(cadenza_home / "cadenza.db")
    try:
        rows = conn.execute("SELECT state_type FROM task_runs WHERE task_name = ?", (task_name,))
        return [r[0] for r in rows]
    finally:
        conn.close()


ONE_TASK = r"""
import sys
from cadenza import flow, task

@task(name=sys.argv[2], tags=[sys.argv[1]])
def waits():
    return "done"

@flow
def one():
    return waits()

assert one() == "done"
"""


def test_a_task_run_waiting_for_its_tag_slot_is_pending(
    backend, name: str, cadenza_home: Path
) -> None:
    tag, task_name = name, f"waits-{name}"
    slots_api().create(f"tag:{tag}", 1)
    env = {**os.environ, "CADENZA_LOGGING_CONSOLE": "false"}
    with concurrency(f"tag:{tag}"):  # the only slot, held here
        proc = subprocess.Popen([sys.executable, "-c", ONE_TASK, tag, task_name], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 60
        while _task_states(task_name, cadenza_home) != ["PENDING"]:
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, _task_states(task_name, cadenza_home)
            time.sleep(0.1)
        time.sleep(1.0)
        assert _task_states(task_name, cadenza_home) == ["PENDING"]  # still waiting
        assert proc.poll() is None
        holders = slots_api().read(f"tag:{tag}")["leases"]
        assert [h["holder"]["pid"] for h in holders] == [os.getpid()]
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert _task_states(task_name, cadenza_home) == ["COMPLETED"]
    assert slots_api().read(f"tag:{tag}")["active_slots"] == 0


def test_tags_without_a_limit_cost_a_set_lookup(backend, name: str) -> None:
    slots_api().create(f"tag:{name}", 3)
    assert limit_names(()) == ()
    assert limit_names(("other",)) == ()
    assert limit_names(("other", name, name)) == (f"tag:{name}",)
    started = time.perf_counter()
    for _ in range(10_000):
        limit_names(("etl", "nightly"))
    per_call = (time.perf_counter() - started) / 10_000
    assert per_call < 20e-6, f"{per_call * 1e6:.1f} us per task run"


def test_tag_limits_hold_async_task_runs_in_one_process(backend, name: str) -> None:
    import asyncio

    slots_api().create(f"tag:{name}", 1)
    running: list[int] = []
    peak: list[int] = []

    @task(tags=[name])
    async def step(i: int) -> int:
        running.append(i)
        peak.append(len(running))
        await asyncio.sleep(0.1)
        running.remove(i)
        return i

    @flow
    async def steps() -> list[int]:
        return list(await asyncio.gather(*(step(i) for i in range(4))))

    assert asyncio.run(steps()) == [0, 1, 2, 3]
    assert max(peak) == 1


def test_a_tag_limit_of_zero_fails_its_task_runs(backend, name: str, cadenza_home: Path) -> None:
    """As in Prefect: a limit of 0 refuses the task runs of its tag rather than delaying them;
    the run ends Failed, naming why, and is not left Pending."""
    from cadenza.concurrency.errors import ConcurrencySlotAcquisitionError

    slots_api().create(f"tag:{name}", 0)
    task_name = f"refused-{name}"

    @task(name=task_name, tags=[name])
    def refused() -> str:
        return "ran"

    @flow
    def calls_it() -> str:
        return refused()

    with pytest.raises(ConcurrencySlotAcquisitionError, match="more than the limit"):
        calls_it()
    assert _task_states(task_name, cadenza_home) == ["FAILED"]
