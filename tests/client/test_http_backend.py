"""`HttpBackend` against the in-memory fake server: batching, flow-run decisions, the spool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cadenza_fake_server import FakeServer

from cadenza import flow, task
from cadenza.backends.http import HttpBackend
from cadenza.client.http import ApiClient
from cadenza.client.spool import Spool, server_tag


@pytest.fixture(autouse=True)
def offline_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    """These runs ride out outages: a run that ends with the server down returns (its record
    journaled) instead of raising ServerUnreachable (tests/client/test_offline_journal.py)."""
    monkeypatch.setenv("CADENZA_CLIENT_OFFLINE_OK", "true")


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


def make_backend(server: FakeServer, home: Path, interval: float = 60.0) -> HttpBackend:
    client = ApiClient("http://x", transport=server.transport(), retry_time=0.2, backoff=0.01)
    return HttpBackend(client, flush_interval=interval, spool=Spool(home / "spool"))


@pytest.fixture
def use_backend(monkeypatch: pytest.MonkeyPatch):
    """Make the engine record into the given backend."""
    import cadenza.backends as backends

    def install(backend: HttpBackend) -> HttpBackend:
        monkeypatch.setattr(backends, "_current", (backends_key(), backend))
        return backend

    return install


def backends_key():
    return (os.environ.get("CADENZA_HOME"), os.environ.get("CADENZA_API_URL"))


@task
def double(x: int) -> int:
    return 2 * x


@flow
def fan(n: int) -> int:
    return sum(f.result() for f in double.map(range(n)))


@flow
def fan_with_outage(n: int) -> int:
    first = sum(double(i) for i in range(n))
    _SERVER.down = True
    second = sum(double(i) for i in range(n))
    return first + second


_SERVER: FakeServer


def transitions_of(server: FakeServer, run_id: str) -> list[str]:
    return [server.transitions[k]["state"]["type"] for k in server.order if k[0] == run_id]


def test_flow_and_tasks_are_recorded_in_few_batches(server, cadenza_home, use_backend) -> None:
    backend = use_backend(make_backend(server, cadenza_home))
    assert fan(50) == 2 * sum(range(50))
    flow_run_id = next(iter(server.flow_runs))
    assert transitions_of(server, flow_run_id) == ["PENDING", "RUNNING", "COMPLETED"]
    assert server.flow_runs[flow_run_id]["state"] == "COMPLETED"
    assert len(server.task_runs) == 50
    task_transitions = [k for k in server.order if k[0] != flow_run_id]
    assert len(task_transitions) == 150  # Pending, Running, Completed each
    # the batch window is 60 s: the tasks went in the flushes before flow-run transitions
    assert server.count("/api/batch") <= 3
    assert any(log["message"].startswith("Finished in state") for log in server.logs)
    backend.close()


def test_task_transitions_carry_result_refs(server, cadenza_home, use_backend) -> None:
    @task(persist_result=True)
    def keep() -> int:
        return 7

    @flow
    def one() -> int:
        return keep()

    use_backend(make_backend(server, cadenza_home))
    assert one() == 7
    completed = [
        t
        for t in server.transitions.values()
        if t["state"]["type"] == "COMPLETED" and "run_id" in t
    ]
    assert completed and completed[0]["state"]["result_ref"]


def test_outage_mid_flow_completes_locally_and_replays(
    server, cadenza_home, use_backend, caplog
) -> None:
    global _SERVER
    _SERVER = server
    backend = use_backend(make_backend(server, cadenza_home))
    with caplog.at_level("WARNING", logger="cadenza.client"):
        assert fan_with_outage(10) == 4 * sum(range(10))
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 2  # when it went down, and at the end of the run
    flow_run_id = next(iter(server.flow_runs))
    assert server.flow_runs[flow_run_id]["state"] == "RUNNING"
    spooled = list((cadenza_home / "spool").glob("*.jsonl"))
    assert len(spooled) == 1 and spooled[0].stat().st_size > 0

    server.down = False
    backend.flush()
    assert server.flow_runs[flow_run_id]["state"] == "COMPLETED"
    assert transitions_of(server, flow_run_id) == ["PENDING", "RUNNING", "COMPLETED"]
    assert len(server.task_runs) == 20
    assert len(server.transitions) == 3 + 20 * 3  # each exactly once
    assert spooled[0].stat().st_size == 0
    # replaying the same journal again applies nothing twice
    backend.close()
    assert not spooled[0].exists()


def test_start_during_an_outage_then_recover(server, cadenza_home, use_backend) -> None:
    server.down = True
    backend = use_backend(make_backend(server, cadenza_home))
    assert fan(5) == 20
    assert server.flow_runs == {}
    server.down = False
    backend.flush()
    assert len(server.flow_runs) == 1
    assert len(server.transitions) == 3 + 5 * 3


def test_the_next_process_replays_a_killed_process_journal(server, cadenza_home) -> None:
    spool_dir = cadenza_home / "spool"
    code = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from cadenza.client.spool import Spool, server_tag
        s = Spool(Path({str(spool_dir)!r}), tag={server_tag("http://x/api")!r})
        s.append([{{"op": "flow_run", "body": {{"id": "r1", "name": "n"}}}}])
        s.append([{{"op": "set_state", "run_id": "r1", "body": {{"transition_id": "t1",
                   "run_count": 1, "state": {{"type": "PENDING"}}}}}}])
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        # alive: its lock is held, nobody replays its journal
        assert (
            Spool(spool_dir).replay_orphans(lambda e: pytest.fail("replayed a live journal")) == 0
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    backend = make_backend(server, cadenza_home)  # replays at start
    assert "r1" in server.flow_runs
    assert list(server.transitions) == [("r1", "t1")]
    assert list(spool_dir.glob("*.jsonl")) == []
    backend.close()


def test_an_interrupted_replay_resumes_where_it_stopped(cadenza_home) -> None:
    spool = Spool(cadenza_home / "spool")
    sent: list[int] = []
    failed: list[bool] = []
    spool.append([{"op": "batch", "body": {"n": 1}}, {"op": "batch", "body": {"n": 2}}])

    def fail_once_on_second(entry):
        if entry["body"]["n"] == 2 and not failed:
            failed.append(True)
            raise RuntimeError("down again")
        sent.append(entry["body"]["n"])

    with pytest.raises(RuntimeError):
        spool.replay(fail_once_on_second)
    assert spool.pending()
    spool.replay(fail_once_on_second)
    assert sent == [1, 2]
    assert not spool.pending()
    spool.close()
    assert list((cadenza_home / "spool").iterdir()) == []


def test_a_large_queue_is_split_into_bounded_batches(server, cadenza_home, monkeypatch) -> None:
    import cadenza.backends.wire as wire

    monkeypatch.setattr(wire, "MAX_BATCH_BYTES", 200 * 50)
    backend = make_backend(server, cadenza_home)
    assert fan.with_options(name="fan")
    import cadenza.backends as backends

    monkeypatch.setattr(backends, "_current", (backends_key(), backend))
    assert fan(40) == 2 * sum(range(40))
    assert server.count("/api/batch") >= 3
    assert len(server.task_runs) == 40
    assert len(server.transitions) == 3 + 40 * 3
    backend.close()
