"""The HTTP backend, the CLI and the spool against a real server process (uvicorn, SQLite)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cadenza_live_server import LiveServer, wait_until_up
from click.testing import CliRunner

from cadenza import flow, get_run_logger, task
from cadenza.backends.http import HttpBackend
from cadenza.client.http import ApiClient, ApiError
from cadenza.client.pages import read_flow_run
from cadenza.client.spool import Spool
from cadenza.exceptions import ServerIncompatible

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def offline_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    """These runs ride out outages: a run that ends with the server down returns (its record
    journaled) instead of raising ServerUnreachable (tests/client/test_offline_journal.py)."""
    monkeypatch.setenv("CADENZA_CLIENT_OFFLINE_OK", "true")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """A factory: ``live_server(api_key=None)`` starts a server with its own home."""
    servers: list[LiveServer] = []

    def start(api_key: str | None = None) -> LiveServer:
        home = tmp_path / f"server-home-{len(servers)}"
        home.mkdir()
        server = LiveServer(home, api_key)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@task
def double(x: int) -> int:
    get_run_logger().info("doubling %d", x)
    return 2 * x


@flow
def fan(n: int) -> int:
    return sum(f.result() for f in double.map(range(n)))


def install(monkeypatch: pytest.MonkeyPatch, backend: HttpBackend) -> HttpBackend:
    import cadenza.backends as backends

    key = (os.environ.get("CADENZA_HOME"), os.environ.get("CADENZA_API_URL"))
    monkeypatch.setattr(backends, "_current", (key, backend))
    return backend


def backend_for(url: str, home: Path, retry_time: float = 0.5, **client_kw) -> HttpBackend:
    client = ApiClient(url, retry_time=retry_time, backoff=0.02, **client_kw)
    return HttpBackend(client, flush_interval=0.05, spool=Spool(home / "spool"))


def server_rows(db: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def use_server(monkeypatch: pytest.MonkeyPatch, url: str, key: str | None = None) -> None:
    from cadenza.backends import reset_backend
    from cadenza.settings import spec

    reset_backend()
    monkeypatch.setenv("CADENZA_API_URL", url)
    if key:
        monkeypatch.setenv("CADENZA_API_KEY", key)
    spec.reset_cache()


def test_a_flow_is_recorded_on_the_server_and_read_back(live_server, monkeypatch) -> None:
    server = live_server()
    use_server(monkeypatch, server.url)
    from cadenza.backends import get_backend

    assert type(get_backend()).__name__ == "HttpBackend"
    state = fan(20, return_state=True)
    assert state.result() == 2 * sum(range(20))
    with ApiClient(server.url) as client:
        runs = client.list_flow_runs()
        assert len(runs) == 1 and runs[0]["state"]["type"] == "COMPLETED"
        run = read_flow_run(client, "latest")
        assert run["id"] == state.state_details.flow_run_id
        assert len(run["task_runs"]) == 20
        assert {t["state"]["type"] for t in run["task_runs"]} == {"COMPLETED"}
        logs = client.get_logs(run["id"])
        assert sum("doubling" in line["message"] for line in logs) == 20
    # nothing went to the local record
    assert not list(Path(os.environ["CADENZA_HOME"]).glob("spool/*.jsonl"))

    from cadenza.cli.main import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["runs", "ls", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.output)] == [run["id"]]
    result = runner.invoke(cli, ["runs", "show", run["id"][:8], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["id"] == run["id"]
    result = runner.invoke(cli, ["runs", "logs", "latest"])
    assert result.exit_code == 0, result.output
    assert result.output.count("doubling") == 20
    result = runner.invoke(cli, ["runs", "show", "nosuchrun"])
    assert result.exit_code == 1
    assert "Error:" in result.output


def test_task_transitions_travel_in_batches(live_server, monkeypatch, cadenza_home) -> None:
    server = live_server()
    requests: list[str] = []
    hooks = {"request": [lambda r: requests.append(r.url.path)]}
    install(monkeypatch, backend_for(server.url, cadenza_home, event_hooks=hooks))
    assert fan(300) == 2 * sum(range(300))
    transitions = server_rows(server.db, "SELECT count(*) FROM run_states")[0][0]
    assert transitions == 3 + 300 * 3
    batches = requests.count("/api/batch")
    assert batches >= 1 and len(requests) < transitions / 10, requests


def test_version_check_fails_against_a_plain_http_server(tmp_path, monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", proc)
        with pytest.raises(ServerIncompatible, match="not a cadenza server"):
            ApiClient(f"http://127.0.0.1:{port}").check_version()
        use_server(monkeypatch, f"http://127.0.0.1:{port}/api")
        from cadenza.backends import get_backend

        with pytest.raises(ServerIncompatible):
            get_backend()
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_the_api_key_is_sent(live_server, monkeypatch) -> None:
    server = live_server(api_key="k-123")
    with pytest.raises(ApiError) as info:
        ApiClient(server.url).check_version()
    assert info.value.status == 401
    use_server(monkeypatch, server.url, key="k-123")
    assert fan(3) == 6
    with ApiClient(server.url, api_key="k-123") as client:
        assert client.get_flow_run("latest")["state"]["type"] == "COMPLETED"


def test_outage_mid_flow_then_replay_applies_everything_once(
    live_server, monkeypatch, cadenza_home
) -> None:
    server = live_server()
    backend = install(monkeypatch, backend_for(server.url, cadenza_home))

    @task
    def step(i: int) -> int:
        if i == 10:
            backend.flush()
            server.kill()  # the server dies in the middle of the flow
        get_run_logger().info("step %d", i)
        return i

    @flow
    def steps(n: int) -> int:
        return sum(step(i) for i in range(n))

    state = steps(30, return_state=True)
    assert state.is_completed() and state.result() == sum(range(30))
    flow_run_id = state.state_details.flow_run_id
    journal = list((cadenza_home / "spool").glob("*.jsonl"))
    assert len(journal) == 1 and journal[0].stat().st_size > 0

    server.start()  # same port, same database
    backend.flush()
    assert journal[0].stat().st_size == 0
    rows = server_rows(
        server.db, "SELECT run_id, transition_id, count(*) FROM run_states GROUP BY 1, 2"
    )
    assert all(n == 1 for *_, n in rows)
    assert len(rows) == 3 + 30 * 3
    assert server_rows(server.db, "SELECT state_type FROM flow_runs WHERE id = ?", flow_run_id) == [
        ("COMPLETED",)
    ]
    assert server_rows(
        server.db, "SELECT count(*) FROM task_runs WHERE state_type = 'COMPLETED'"
    ) == [(30,)]
    logged = server_rows(server.db, "SELECT message FROM logs WHERE message LIKE 'step %'")
    assert sorted(m for (m,) in logged) == sorted(f"step {i}" for i in range(30))
    # a second replay of the same work changes nothing
    backend.close()
    again = backend_for(server.url, cadenza_home)
    again.close()
    assert len(server_rows(server.db, "SELECT 1 FROM run_states")) == 3 + 30 * 3


def test_a_killed_client_s_journal_is_replayed_by_the_next_process(
    live_server, cadenza_home, tmp_path
) -> None:
    server = live_server()
    script = tmp_path / "client.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys, time
            import cadenza.backends.http as http
            http.DEFAULT_RETRY_TIME = 0.3
            from cadenza import flow, task
            from cadenza.backends import get_backend

            @task
            def work(i):
                return i

            @task
            def hang():
                get_backend().flush()
                print("journaled", flush=True)
                time.sleep(120)

            @flow
            def doomed():
                for i in range(10):
                    work(i)
                os.kill({server.proc.pid}, 9)   # the outage starts
                for i in range(10, 20):
                    work(i)
                hang()

            doomed()
            """
        )
    )
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_API_URL": server.url}
    proc = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline().strip()
        assert line == "journaled"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    server.proc.wait(10)
    server.proc = None
    assert len(list((cadenza_home / "spool").glob("*.jsonl"))) == 1

    server.start()
    nxt = backend_for(server.url, cadenza_home)  # the next process: replays at start
    try:
        assert list((cadenza_home / "spool").glob("*.jsonl")) == []
        rows = server_rows(
            server.db, "SELECT run_id, transition_id, count(*) FROM run_states GROUP BY 1, 2"
        )
        assert all(n == 1 for *_, n in rows)
        done = server_rows(
            server.db, "SELECT count(*) FROM task_runs WHERE state_type = 'COMPLETED'"
        )
        assert done == [(20,)]
        assert server_rows(server.db, "SELECT count(*) FROM task_runs") == [(21,)]
    finally:
        nxt.close()


@task(persist_result=True)
def square(x: int) -> int:
    return x * x


def test_task_runs_in_other_processes_are_forwarded(live_server, monkeypatch, cadenza_home) -> None:
    from cadenza.task_runners import ProcessPoolTaskRunner

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def pooled(n: int) -> int:
        return sum(f.result() for f in square.map(range(n)))

    server = live_server()
    use_server(monkeypatch, server.url)
    state = pooled(6, return_state=True)
    assert state.result() == sum(i * i for i in range(6))
    rows = server_rows(
        server.db, "SELECT state_type, result_ref FROM task_runs WHERE flow_run_id = ?",
        state.state_details.flow_run_id,
    )  # fmt: skip
    assert len(rows) == 6
    assert all(t == "COMPLETED" and ref for t, ref in rows)
    assert len(server_rows(server.db, "SELECT 1 FROM run_states")) == 3 + 6 * 3


@task(log_prints=True)
def three_lines(x: int) -> int:
    get_run_logger().info("info %s", x)
    print("printed", x)
    get_run_logger().warning("warning %s", x)
    return x


def test_log_lines_of_tasks_in_other_processes_reach_the_server(
    live_server, monkeypatch, cadenza_home
) -> None:
    from cadenza.task_runners import ProcessPoolTaskRunner

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def pooled() -> list[int]:
        return [f.result() for f in three_lines.map(range(2))]

    server = live_server()
    use_server(monkeypatch, server.url)
    state = pooled(return_state=True)
    assert state.result() == [0, 1]
    flow_run_id = state.state_details.flow_run_id
    runs = dict(server_rows(server.db, "SELECT name, id FROM task_runs"))
    for x in range(2):
        lines = server_rows(
            server.db, "SELECT flow_run_id, level, message FROM logs WHERE task_run_id = ? "
            "ORDER BY id", runs[f"three_lines-{x}"],
        )  # fmt: skip
        assert lines == [
            (flow_run_id, 20, f"info {x}"),
            (flow_run_id, 20, f"printed {x}"),
            (flow_run_id, 30, f"warning {x}"),
        ]
