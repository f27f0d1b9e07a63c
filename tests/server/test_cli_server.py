"""``cadenza server``: help, refusing a newer database, and a real uvicorn server over HTTP.

The live server is started as its own process (``cadenza server start``) on a free port,
talked to with httpx, and stopped by its PID.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from server_helpers import flow_run, state, task_run

from cadenza.cli.main import cli
from cadenza.store.database import ensure_schema

# real server processes
pytestmark = pytest.mark.integration

KEY = "live-server-key"


def test_help_lists_start() -> None:
    result = CliRunner().invoke(cli, ["server", "--help"])
    assert result.exit_code == 0
    assert "start" in result.output
    result = CliRunner().invoke(cli, ["--help"])
    assert "server" in result.output


def test_start_refuses_a_newer_database(tmp_path: Path) -> None:
    path = tmp_path / "cadenza.db"
    ensure_schema(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    # --port 0: the port is bound before the database is opened, and 4200 may be taken here
    args = ["server", "start", "--port", "0", "--database-url", f"sqlite:///{path}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "'9999'" in result.output and "newer" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real server process; yields its base URL and database path."""
    home = tmp_path_factory.mktemp("live-home")
    db = home / "cadenza.db"
    port = _free_port()
    env = {**os.environ, "CADENZA_HOME": str(home), "CADENZA_SERVER_API_KEY": KEY}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cadenza.cli.main",
            "server",
            "start",
            "--port",
            str(port),
            "--database-url",
            f"sqlite:///{db}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                output = proc.stdout.read() if proc.stdout is not None else ""
                raise RuntimeError(f"server did not start: {output}")
            time.sleep(0.1)
        yield base, db
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
    assert f"http://127.0.0.1:{port}/api" in output
    assert proc.returncode in (0, -signal.SIGTERM), output  # uvicorn re-raises the signal


def test_live_server_over_http(live) -> None:
    base, db = live
    assert httpx.get(f"{base}/api/health").json() == {"status": "ok"}
    assert httpx.get(f"{base}/api/version").status_code == 401
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base, headers=auth) as client:
        assert client.post("/api/flow_runs", json=flow_run("live-1")).status_code == 201
        body = {"transition_id": "p", "state": state("PENDING")}
        answer = client.post("/api/flow_runs/live-1/set_state", json=body).json()
        assert answer["decision"] == "ACCEPT"
        assert client.get("/api/flow_runs/live-1").json()["state"]["type"] == "PENDING"
        assert client.get("/api/openapi.json").json()["paths"]
    row = sqlite3.connect(db).execute("SELECT state_type FROM flow_runs WHERE id = 'live-1'")
    assert row.fetchone() == ("PENDING",)


def test_concurrent_batches_are_all_applied(live) -> None:
    base, db = live
    auth = {"Authorization": f"Bearer {KEY}"}
    httpx.post(f"{base}/api/flow_runs", json=flow_run("conc"), headers=auth)
    n_threads, per_batch = 20, 50
    statuses: list[int] = []
    results: list[dict] = []
    barrier = threading.Barrier(n_threads)

    def post(i: int) -> None:
        tasks = [task_run(f"c{i}-{j}", "conc") for j in range(per_batch)]
        transitions = [
            {
                "run_id": t["id"],
                "flow_run_id": "conc",
                "transition_id": f"{t['id']}:{k}",
                "run_count": 1,
                "state": state(type_),
            }
            for t in tasks
            for k, type_ in enumerate(("PENDING", "RUNNING", "COMPLETED"))
        ]
        logs = [
            {
                "flow_run_id": "conc",
                "task_run_id": t["id"],
                "level": 20,
                "logger": "x",
                "message": "m",
                "timestamp": time.time(),
            }
            for t in tasks
        ]
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            barrier.wait()
            response = client.post(
                "/api/batch", json={"task_runs": tasks, "transitions": transitions, "logs": logs}
            )
        statuses.append(response.status_code)
        if response.status_code == 200:
            results.append(response.json())

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * n_threads
    assert sum(r["accepted"] for r in results) == n_threads * per_batch * 3
    assert all(r["rejected"] == [] for r in results)
    conn = sqlite3.connect(db)
    done = conn.execute(
        "SELECT count(*) FROM task_runs WHERE flow_run_id = 'conc' AND state_type = 'COMPLETED'"
    ).fetchone()[0]
    assert done == n_threads * per_batch
    logs = conn.execute("SELECT count(*) FROM logs WHERE flow_run_id = 'conc'").fetchone()[0]
    assert logs == n_threads * per_batch


EMBEDDED_FLOW = """
from cadenza import flow, task

@task
def inc(x):
    return x + 1

@flow
def side_by_side(n):
    return sum(inc.map(range(n)).result())

assert side_by_side(300) == sum(range(1, 301))
"""


def test_an_embedded_writer_and_the_server_share_the_file(live) -> None:
    """A flow recording into the same SQLite file while clients post: nobody sees a lock."""
    base, db = live
    auth = {"Authorization": f"Bearer {KEY}"}
    env = {**os.environ, "CADENZA_HOME": str(db.parent), "CADENZA_LOGGING_CONSOLE": "false"}
    env.pop("CADENZA_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-c", EMBEDDED_FLOW], env=env)
    statuses = []
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
        client.post("/api/flow_runs", json=flow_run("shared"))
        for i in range(30):
            tasks = [task_run(f"s{i}-{j}", "shared") for j in range(20)]
            transitions = [
                {
                    "run_id": t["id"],
                    "flow_run_id": "shared",
                    "transition_id": f"{t['id']}:p",
                    "state": state("PENDING"),
                }
                for t in tasks
            ]
            response = client.post(
                "/api/batch", json={"task_runs": tasks, "transitions": transitions}
            )
            statuses.append(response.status_code)
    assert proc.wait(timeout=120) == 0
    assert statuses == [200] * 30
    with httpx.Client(base_url=base, headers=auth) as client:
        runs = client.get("/api/flow_runs", params={"flow_name": "side-by-side"}).json()
        assert [r["state"]["type"] for r in runs] == ["COMPLETED"]
        shown = client.get(f"/api/flow_runs/{runs[0]['id']}").json()
        assert shown["counts"]["task_runs"] == 300
        pages = client.get(f"/api/flow_runs/{runs[0]['id']}/task_runs", params={"limit": 1000})
        assert len(pages.json()) == 300
