"""Every test gets its own CADENZA_HOME (a fresh SQLite record) and no console echo.

Shared by several suites (tests/backends, tests/faults): a throwaway PostgreSQL cluster, real
servers on it and on SQLite, and `backend`, which runs a test once per backend (embedded,
server-sqlite, server-postgresql) with the settings that select it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backends.server_process import ServerProcess
from cadenza.testing.postgres import PostgresCluster, start_cluster

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def migrated_record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A record migrated to head once per session (Alembic's import is the slow part)."""
    from cadenza.store.database import ensure_schema

    path = tmp_path_factory.mktemp("template") / "cadenza.db"
    ensure_schema(path)
    return path


@pytest.fixture(autouse=True)
def cadenza_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_record: Path) -> Path:
    import shutil

    from cadenza.backends import reset_backend
    from cadenza.settings import spec

    home = tmp_path / "cadenza-home"
    home.mkdir()
    shutil.copyfile(migrated_record, home / "cadenza.db")
    monkeypatch.setenv("CADENZA_HOME", str(home))
    monkeypatch.setenv("CADENZA_LOGGING_CONSOLE", "false")
    spec.reset_cache()
    yield home
    reset_backend()
    spec.reset_cache()


@pytest.fixture
def record(cadenza_home: Path):
    """Query the record after flushing: ``record("SELECT ...", *params) -> list of rows``."""

    def query(sql: str, *params: object) -> list[tuple]:
        from cadenza.backends import get_backend

        get_backend().flush()
        conn = sqlite3.connect(cadenza_home / "cadenza.db")
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    return query


@pytest.fixture
def run_python(tmp_path: Path, cadenza_home: Path):
    """Run a Python script in a fresh interpreter with this test's CADENZA_HOME."""
    import subprocess

    def run(code: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
        script = tmp_path / f"script_{abs(hash(code))}.py"
        script.write_text(code)
        env = {**os.environ, "CADENZA_HOME": str(cadenza_home)}
        return subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            **kwargs,
        )

    return run


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch):
    """Reconfigure the ``cadenza`` logger with the console echo on; restore it afterwards."""
    import logging

    import cadenza.logging.loggers as loggers
    from cadenza.settings import spec

    root = logging.getLogger("cadenza")
    saved = (loggers._configured, list(root.handlers), root.level, root.propagate)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    monkeypatch.setenv("CADENZA_LOGGING_CONSOLE", "true")
    spec.reset_cache()
    loggers._configured = False
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        configured, handlers, level, propagate = saved
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        root.propagate = propagate
        loggers._configured = configured
        spec.reset_cache()


# -- backends: embedded, a real server on SQLite, on PostgreSQL -----------------------------


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the session (cadenza.testing.postgres).

    Fails (never skips) when PostgreSQL is not installed: `.ci/run` installs it.
    """
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """``postgresql+psycopg://cadenza@127.0.0.1:PORT/postgres``: the cluster's own database,
    shared by the session's servers."""
    return postgres_cluster.url


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a new, empty PostgreSQL database for this test."""
    return postgres_cluster.create_database()


KINDS = [
    "embedded",
    pytest.param("server-sqlite", marks=pytest.mark.integration),  # a server process
    pytest.param("server-postgresql", marks=pytest.mark.integration),
]


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("server-sqlite")
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home).start()
    yield server
    server.stop()


#: Quick reaper and scheduler rounds, for tests that wait on them (workers, pauses).
QUICK = {"CADENZA_SERVER_REAPER_INTERVAL": "0.2", "CADENZA_SERVER_SCHEDULER_INTERVAL": "0.5"}


@pytest.fixture(scope="session")
def quick_sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server on SQLite with `QUICK` rounds, shared by the session."""
    home = tmp_path_factory.mktemp("quick-sqlite")
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home, env=QUICK).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def quick_postgresql_server(
    postgres_cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server on a database of its own in the session's PostgreSQL, with `QUICK` rounds."""
    url = postgres_cluster.create_database()
    server = ServerProcess(url, tmp_path_factory.mktemp("quick-pg"), env=QUICK).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgresql_server(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    server = ServerProcess(postgres_url, tmp_path_factory.mktemp("server-postgresql")).start()
    yield server
    server.stop()


@dataclass
class Backend:
    kind: str
    server: ServerProcess | None

    def show(self, run_id: str) -> dict[str, Any]:
        """`cadenza runs show RUN_ID --json` in a fresh process, after flushing this one."""
        from cadenza.backends import get_backend

        get_backend().flush()
        proc = subprocess.run(
            [sys.executable, "-m", "cadenza.cli.main", "runs", "show", run_id, "--json"],
            capture_output=True, text=True, timeout=60, env=dict(os.environ),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout)


@pytest.fixture(params=KINDS)
def backend(request, monkeypatch: pytest.MonkeyPatch, cadenza_home: Path) -> Iterator[Backend]:
    """The test's CADENZA_HOME (from the root conftest) and, for a server, CADENZA_API_URL."""
    from cadenza.backends import get_backend, reset_backend
    from cadenza.blocks.store import reset_stores
    from cadenza.client.remote import reset_remote
    from cadenza.settings import spec

    server = None
    if request.param == "embedded":
        monkeypatch.delenv("CADENZA_API_URL", raising=False)
    else:
        fixture = "sqlite_server" if request.param == "server-sqlite" else "postgresql_server"
        server = request.getfixturevalue(fixture)
        monkeypatch.setenv("CADENZA_API_URL", server.url)
    monkeypatch.delenv("CADENZA_API_KEY", raising=False)
    spec.reset_cache()
    reset_backend()
    reset_remote()
    reset_stores()
    expected = "HttpBackend" if server else "EmbeddedBackend"
    assert type(get_backend()).__name__ == expected
    yield Backend(request.param, server)
    reset_backend()
    reset_remote()
    reset_stores()


@pytest.fixture(scope="session")
def dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make dist`'s output for this checkout: an sdist and a wheel of every distribution
    (tests/built_dists.py), built once per session."""
    from built_dists import build_all

    return build_all(tmp_path_factory.mktemp("dist"))
