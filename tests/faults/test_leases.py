"""On a server, a flow run whose process dies is marked Crashed by the reaper within twice its
lease; a live run, however slow, is not; a heartbeat after a final state changes nothing
(issue 12, defect 5). Run against servers on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from backends.server_process import ServerProcess
from faults.killing import FlowProcess, cli_json

pytestmark = pytest.mark.slow

INTERVAL = 0.5  # heartbeats; a lease is twice this
REAPER = {"CADENZA_SERVER_REAPER_INTERVAL": "0.2"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def reaping_server(request, tmp_path_factory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("reaping-server")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'server.db'}"
    else:
        # a database of its own: a server sharing one (the session's) would hold the reaper's
        # lease and run its rounds at its own, slower interval
        url = request.getfixturevalue("pg_url")
    server = ServerProcess(url, home, env=REAPER).start()
    yield server
    server.stop()


def client_env(server: ServerProcess, home) -> dict[str, str]:
    return {
        "CADENZA_HOME": str(home),
        "CADENZA_API_URL": server.url,
        "CADENZA_HEARTBEAT_INTERVAL": str(INTERVAL),
        "CADENZA_LOGGING_CONSOLE": "false",
    }


def wait_for_state(env: dict[str, str], name: str, want: str, within: float) -> dict:
    deadline = time.monotonic() + within
    while True:
        runs = [r for r in cli_json("runs", "ls", env=env) if r["name"] == name]
        if runs and runs[0]["state"]["type"] == want:
            return runs[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} is {runs[0]['state'] if runs else 'missing'}, not {want}")
        time.sleep(0.1)


def test_a_killed_process_s_run_is_crashed_within_twice_its_lease(
    reaping_server, tmp_path, cadenza_home
) -> None:
    env = client_env(reaping_server, cadenza_home)
    flow = FlowProcess(tmp_path, env, n=20, stop_at=10)
    flow.wait_for("MID-TASK")
    time.sleep(3 * INTERVAL)  # alive and heartbeating: not reaped
    assert wait_for_state(env, "killed", "RUNNING", 0)
    flow.kill()
    killed_at = time.monotonic()
    run = wait_for_state(env, "killed", "CRASHED", within=4 * 2 * INTERVAL + 2)
    assert time.monotonic() - killed_at <= 2 * (2 * INTERVAL) + 1.5
    assert "No heartbeat from process" in run["state"]["message"]
    shown = cli_json("runs", "show", run["id"], env=env)
    states = {t["name"]: t["state"]["type"] for t in shown["task_runs"]}
    assert states["work-10"] == "CRASHED"
    assert [n for n, s in states.items() if s not in ("COMPLETED", "CRASHED")] == []
    assert sum(s == "COMPLETED" for s in states.values()) == 10


def test_a_slow_live_run_is_not_reaped_and_late_heartbeats_change_nothing(
    reaping_server, tmp_path, cadenza_home
) -> None:
    from cadenza.client.http import ApiClient

    env = client_env(reaping_server, cadenza_home)
    flow = FlowProcess(tmp_path, env, n=3, stop_at=1)
    flow.wait_for("MID-TASK")
    time.sleep(6 * INTERVAL)  # three leases long: only heartbeats keep it alive
    run = wait_for_state(env, "killed", "RUNNING", 0)
    flow.kill()
    crashed = wait_for_state(env, "killed", "CRASHED", within=5)
    with ApiClient(reaping_server.url) as client:
        answer = client.heartbeat([run["id"]], 60)
    assert answer == {"renewed": [], "final": [run["id"]], "unknown": []}
    again = cli_json("runs", "show", run["id"], env=env)
    assert again["state"] == crashed["state"]
    assert [s["type"] for s in again["states"]].count("CRASHED") == 1


def test_live_batches_renew_the_lease_as_heartbeats_do(reaping_server) -> None:
    """Under load a heartbeat can wait behind the batches of sixteen processes until its lease
    is gone (16 x 20,000 tasks crashed 11 live runs so). A batch sent live by the process running
    the flow (`lease_seconds` given) renews its leases; a batch replayed from a journal does not."""
    import uuid

    from cadenza.client.http import ApiClient

    lease = 2 * INTERVAL

    def new_run(client: ApiClient) -> str:
        run_id = str(uuid.uuid4())
        client.create_flow_run(
            {"id": run_id, "name": f"r-{run_id[:8]}", "flow_name": "f", "created": time.time(),
             "lease_seconds": lease}
        )  # fmt: skip
        return run_id

    def log(run_id: str) -> dict:
        return {"logs": [{"flow_run_id": run_id, "level": 20, "logger": "t", "message": "m",
                          "timestamp": time.time(), "id": str(uuid.uuid4())}]}  # fmt: skip

    with ApiClient(reaping_server.url) as client:
        live, replayed = new_run(client), new_run(client)
        deadline = time.monotonic() + 4 * lease  # four leases with no heartbeat at all
        while time.monotonic() < deadline:
            client.batch(log(live), lease_seconds=lease)
            client.batch(log(replayed))
            time.sleep(lease / 5)
        states = {r["id"]: r["state"] for r in client.list_flow_runs(limit=100)}
        assert states[live] is None or states[live]["type"] != "CRASHED"
        assert states[replayed]["type"] == "CRASHED"
        time.sleep(3 * lease)  # the batches stopped: now it is reaped like any other
        states = {r["id"]: r["state"] for r in client.list_flow_runs(limit=100)}
        assert states[live]["type"] == "CRASHED"


def test_a_run_that_ended_during_an_outage_keeps_its_lease_until_its_end_arrives(
    reaping_server, caplog
) -> None:
    """Its final state was journaled, not delivered: the server still holds it Running, so the
    process keeps renewing its lease (else the reaper crashes it and the journal's records are
    refused); once the server holds it final, it is let go without an error."""
    import uuid

    from cadenza.backends.heartbeat import Heartbeat
    from cadenza.client.http import ApiClient

    run_id = str(uuid.uuid4())
    with ApiClient(reaping_server.url) as client:
        heartbeat = Heartbeat(client, INTERVAL)
        client.create_flow_run(
            {"id": run_id, "name": "ending", "flow_name": "f", "created": time.time(),
             "lease_seconds": heartbeat.lease}
        )  # fmt: skip
        heartbeat.add(run_id, "ending")
        heartbeat.discard(run_id, delivered=False)
        try:
            time.sleep(4 * heartbeat.lease)  # four leases: only the heartbeats keep it alive
            (run,) = [r for r in client.list_flow_runs(limit=100) if r["id"] == run_id]
            assert run["state"]["type"] is None  # never crashed
            for n, kind in enumerate(("PENDING", "RUNNING", "COMPLETED"), 1):
                state = {
                    "type": kind,
                    "name": kind.title(),
                    "message": None,
                    "timestamp": time.time(),
                    "details": None,
                    "result_ref": None,
                }
                answer = client.set_state(
                    run_id, {"transition_id": f"{run_id}:{n}", "run_count": 1, "state": state}
                )
                assert answer["decision"] == "ACCEPT", answer
            time.sleep(3 * INTERVAL)
            assert heartbeat._runs == {} and heartbeat._finishing == set()
            assert "holds flow run" not in caplog.text  # an expected end, not an error
        finally:
            heartbeat.stop()
