"""``cadenza runs delete``: real flows recorded in the embedded record or reported to a real
server (SQLite, PostgreSQL), deleted by id or filter, with and without their result files."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from backends.server_process import ServerProcess
from cadenza import flow, get_run_logger, task
from cadenza.artifacts import create_markdown_artifact


@task(persist_result=True)
def double(x: int) -> int:
    get_run_logger().info("doubling %d", x)
    return 2 * x


@flow(persist_result=True)
def child(x: int) -> int:
    get_run_logger().info("child of %d", x)
    return double(x)


@flow(persist_result=True)
def parent(n: int) -> int:
    create_markdown_artifact("# report", description="parent's report")
    return sum(double(i) for i in range(n)) + child(n)


@pytest.fixture(scope="module")
def sqlite_server_of_this_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("delete-server-sqlite")
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def postgresql_server_of_this_module(
    postgres_cluster: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("delete-server-postgresql")
    server = ServerProcess(postgres_cluster.create_database(), home).start()
    yield server
    server.stop()


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("server-sqlite", marks=pytest.mark.integration),
        pytest.param("server-postgresql", marks=pytest.mark.integration),
    ]
)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The embedded record, or a server of this module's own (its runs deleted before each
    test: filters here delete every run they match)."""
    from cadenza.backends import reset_backend
    from cadenza.blocks.store import reset_stores
    from cadenza.client.remote import reset_remote
    from cadenza.settings import spec

    server = None
    monkeypatch.delenv("CADENZA_API_KEY", raising=False)
    if request.param == "embedded":
        monkeypatch.delenv("CADENZA_API_URL", raising=False)
    else:
        server = request.getfixturevalue(f"{request.param.split('-')[1]}_server_of_this_module")
        _wipe(server.database_url)
        monkeypatch.setenv("CADENZA_API_URL", server.url)
    spec.reset_cache()
    for reset in (reset_backend, reset_remote, reset_stores):
        reset()
    yield SimpleNamespace(server=server)
    for reset in (reset_backend, reset_remote, reset_stores):
        reset()


def _wipe(url: str) -> None:
    import sqlalchemy as sa

    from cadenza.store.tables import metadata

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for name in ("logs", "run_states", "task_runs", "artifacts", "flow_runs"):
                conn.execute(metadata.tables[name].delete())
    finally:
        engine.dispose()


def _run(n: int = 2) -> str:
    from cadenza.backends import get_backend

    state = parent(n, return_state=True)
    assert state.is_completed()
    get_backend().flush()
    return state.state_details.flow_run_id


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _exists(invoke: Any, run_id: str) -> bool:
    result = invoke("runs", "show", run_id, "--json")
    assert result.exit_code in (0, 1), result.output
    return result.exit_code == 0


def test_delete_one_run_with_its_subflow_runs_and_rows(backend: Any, invoke: Any) -> None:
    run, other = _run(2), _run(1)
    shown = _json(invoke("runs", "show", run, "--json"))
    sub = shown["subflow_runs"][0]["id"]

    plan = _json(invoke("runs", "delete", run, "--dry-run", "--json"))
    assert plan["dry_run"] is True
    assert plan["deleted"]["flow_runs"] == 2 and plan["deleted"]["task_runs"] == 3
    assert plan["deleted"]["logs"] >= 4 and plan["deleted"]["artifacts"] == 1
    assert _exists(invoke, run)

    done = _json(invoke("runs", "delete", run, "--json"))  # one named run: no prompt
    assert done["deleted"] == plan["deleted"] and done["dry_run"] is False
    assert not _exists(invoke, run) and not _exists(invoke, sub)
    assert _exists(invoke, other)


def test_a_bulk_delete_asks_first(
    backend: Any, invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from cadenza.cli.main import cli

    runs = [_run(1) for _ in range(3)]
    refused = CliRunner().invoke(cli, ["runs", "delete", "--older-than", "0"], input="n\n")
    assert refused.exit_code == 1 and "Delete 6 flow run(s)" in refused.output
    assert all(_exists(invoke, r) for r in runs)

    named = CliRunner().invoke(cli, ["runs", "delete", *runs[:2]], input="y\n")
    assert named.exit_code == 0, named.output
    assert "Deleted 4 flow run(s)" in named.output
    done = invoke("runs", "delete", "--flow", "parent", "--yes")
    assert done.exit_code == 0 and "Deleted 2 flow run(s)" in done.stdout
    assert not any(_exists(invoke, r) for r in runs)


def test_filters_pick_runs_by_age_state_and_flow(backend: Any, invoke: Any) -> None:
    run = _run(1)
    young = _json(invoke("runs", "delete", "--older-than", "1h", "--yes", "--json"))
    assert young["deleted"]["flow_runs"] == 0 and _exists(invoke, run)
    failed = _json(invoke("runs", "delete", "--state", "failed", "--yes", "--json"))
    assert failed["deleted"]["flow_runs"] == 0
    other = _json(invoke("runs", "delete", "--flow", "child", "--yes", "--json"))
    assert other["deleted"]["flow_runs"] == 0  # a subflow run is deleted with its parent only
    time.sleep(0.05)
    done = _json(invoke("runs", "delete", "--older-than", "0.01s", "--state", "COMPLETED",
                        "--flow", "parent", "--yes", "--json"))  # fmt: skip
    assert done["deleted"]["flow_runs"] == 2 and not _exists(invoke, run)


def test_results_go_only_with_the_flag(backend: Any, invoke: Any, cadenza_home: Path) -> None:
    storage = cadenza_home / "storage"
    kept, dropped = _run(1), _run(1)
    before = set(storage.iterdir())
    assert len(before) == 8  # per run: 2 task results, 2 flow results

    assert _json(invoke("runs", "delete", kept, "--json"))["deleted"]["flow_runs"] == 2
    assert set(storage.iterdir()) == before  # without --results the files stay

    outcome = _json(invoke("runs", "delete", dropped, "--results", "--json"))
    assert outcome["result_files"] == {"deleted": 4, "missing": 0, "refused": []}
    assert len(set(storage.iterdir())) == 4


def test_a_running_run_is_left_unless_forced(backend: Any, invoke: Any, cadenza_home: Path) -> None:
    run_id = _running_run(backend)
    left = invoke("runs", "delete", run_id, "--json")
    assert left.exit_code == 1
    outcome = json.loads(left.stdout)
    assert outcome["deleted"]["flow_runs"] == 0
    assert "RUNNING, not in a final state" in outcome["skipped"][0]["reason"]
    assert _exists(invoke, run_id)
    forced = invoke("runs", "delete", run_id, "--force")
    assert forced.exit_code == 0 and "Deleted 1 flow run(s)" in forced.stdout
    assert not _exists(invoke, run_id)


def _running_run(backend: Any) -> str:
    """A Running flow run whose process is this one (so nothing marks it Crashed)."""
    run_id = str(uuid.uuid4())
    now = time.time()
    if backend.server is None:
        from cadenza.store.database import default_db_path

        conn = sqlite3.connect(default_db_path())
        conn.execute("INSERT INTO flow_runs (id, name, flow_name, created, state_type, state_name,"
                     " pid, hostname) VALUES (?, 'busy', 'slow', ?, 'RUNNING', 'Running', ?, ?)",
                     (run_id, now, os.getpid(), os.uname().nodename))  # fmt: skip
        conn.commit()
        conn.close()
        return run_id
    from cadenza.client.http import client_from_settings

    with client_from_settings() as client:
        client.create_flow_run({"id": run_id, "name": "busy", "flow_name": "slow", "created": now})
        for tid, (kind, name) in enumerate((("PENDING", "Pending"), ("RUNNING", "Running"))):
            body = {"transition_id": f"t{tid}", "state": {"type": kind, "name": name,
                                                          "timestamp": now}}  # fmt: skip
            assert client.set_state(run_id, body)["decision"] == "ACCEPT"
    return run_id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Name the runs to delete"),
        (("--older-than", "soon"), "--older-than: 'soon' is not a duration"),
        (("--older-than", "-3d"), "is not a duration"),
        (("--older-than", ""), "give a duration"),
        (("--state", "DONE"), "Unknown state type"),
        (("no-such-run",), "No flow run with id"),
        (("\ud800",), "No flow run"),
        (("--flow", "\udce9"), "--flow: a flow name is text"),
    ],
)
def test_bad_requests_get_one_line_errors(invoke: Any, args: tuple[str, ...], message: str) -> None:
    result = invoke("runs", "delete", *args, "--yes")
    assert result.exit_code != 0
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
