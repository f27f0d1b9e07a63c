"""Every test gets its own CADENZA_HOME (a fresh SQLite record) and no console echo."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest

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
