"""Opening the database: migration, refusing a newer schema, and a busy SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from server_helpers import TestClient, flow_run

from cadenza.exceptions import StoreError
from cadenza.server.app import create_app
from cadenza.store import urls as schema
from cadenza.store.database import HEAD_REVISION, current_revision, ensure_schema, upgrade


def test_a_new_database_is_created_at_head(tmp_path: Path) -> None:
    path = tmp_path / "new" / "cadenza.db"
    create_app(f"sqlite:///{path}")
    assert current_revision(path) == HEAD_REVISION


def test_an_older_database_is_upgraded_keeping_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "cadenza.db"
    upgrade(path, "0005")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO flow_runs (id, name, flow_name, created) VALUES ('old', 'n', 'f', 1)")
    conn.commit()
    with TestClient(create_app(f"sqlite:///{path}")) as client:
        assert client.get("/api/flow_runs/old").json()["flow_name"] == "f"
    assert current_revision(path) == HEAD_REVISION


def test_a_newer_database_is_refused_naming_both_revisions(tmp_path: Path) -> None:
    path = tmp_path / "cadenza.db"
    ensure_schema(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    with pytest.raises(StoreError) as info:
        create_app(f"sqlite:///{path}")
    message = str(info.value)
    assert "'9999'" in message and repr(HEAD_REVISION) in message and "newer" in message
    assert current_revision(path) == "9999"  # untouched


def test_database_urls() -> None:
    assert schema.sqlite_path("sqlite:////tmp/x/cadenza.db") == Path("/tmp/x/cadenza.db")
    assert schema.sqlite_path("postgresql+psycopg://u:p@localhost/cadenza") is None
    with pytest.raises(StoreError, match="in-memory"):
        schema.sqlite_path("sqlite://")
    with pytest.raises(StoreError, match="Invalid database URL"):
        schema.sqlite_path("not a url")


def test_default_database_is_the_embedded_record(cadenza_home: Path) -> None:
    assert schema.default_database_url() == f"sqlite:///{cadenza_home / 'cadenza.db'}"


def test_a_busy_database_is_a_503_with_retry_after(db_path: Path, db_url: str) -> None:
    app = create_app(db_url, api_key="")
    app.state.store.busy_timeout = 0.2  # before the first connection is made
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with TestClient(app) as client:
            response = client.post("/api/flow_runs", json=flow_run("r1"))
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "1"
            assert "busy" in response.json()["detail"]
            blocker.execute("ROLLBACK")
            assert client.post("/api/flow_runs", json=flow_run("r1")).status_code == 201
    finally:
        blocker.close()
