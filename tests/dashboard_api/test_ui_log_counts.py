"""A flow run's warning and error counts: kept on the run as its log lines are stored (by the
server's batch ingest and by the embedded writer), a resent line counted once, and read by the
runs page off the row; migration 0013 counts the lines of runs recorded before it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from dashboard_writes import batch, create_run, log, ok

from cadenza.store.urls import migrate_url


def _counts(api, run_id: str) -> tuple[int, int]:
    items = ok(api.get("/api/flow_runs/page", params={"limit": 500}))["items"]
    (item,) = [i for i in items if i["id"] == run_id]
    return item["warning_count"], item["error_count"]


def test_the_server_counts_warnings_and_errors_as_lines_arrive(api) -> None:
    run, other, quiet = create_run(api), create_run(api), create_run(api)
    batch(api, logs=[log(run, "i", 20), log(run, "w", 30), log(run, "e", 40),
                     log(run, "c", 50), log(other, "w", 30), log(quiet, "d", 10),
                     log(None, "no run", 40)])  # fmt: skip
    assert _counts(api, run) == (3, 2)  # WARNING and above; ERROR and above
    assert _counts(api, other) == (1, 0)
    assert _counts(api, quiet) == (0, 0)
    batch(api, logs=[log(run, "w2", 35)])
    assert _counts(api, run) == (4, 2)


def test_a_resent_batch_is_counted_once(api) -> None:
    run = create_run(api)
    lines = [log(run, "w", 30), log(run, "e", 40), log(run, "i", 20)]
    assert batch(api, logs=lines)["accepted"] == 0  # no transitions in it
    batch(api, logs=lines)  # its answer was lost: sent again, line for line
    assert _counts(api, run) == (2, 1)
    # a resend that carries new lines too counts only those
    batch(api, logs=[*lines, log(run, "e2", 40), lines[1]])
    assert _counts(api, run) == (3, 2)
    shown = ok(api.get(f"/api/flow_runs/{run}/logs", params={"limit": 100}))
    assert [line["message"] for line in shown] == ["w", "e", "i", "e2"]


def test_deleting_a_run_takes_its_counts(api) -> None:
    run, kept = create_run(api), create_run(api)
    batch(api, logs=[log(run, "e", 40), log(kept, "w", 30)])
    ok(api.delete(f"/api/flow_runs/{run}", params={"force": "true"}))
    items = ok(api.get("/api/flow_runs/page"))["items"]
    assert [(i["id"], i["warning_count"], i["error_count"]) for i in items] == [(kept, 1, 0)]


def test_the_embedded_writer_counts_in_the_same_transaction(tmp_path: Path) -> None:
    from cadenza.backends.embedded import EmbeddedBackend
    from cadenza.runs import FlowRun

    path = tmp_path / "cadenza.db"
    backend = EmbeddedBackend(path, flush_interval=3600)
    try:
        flow = FlowRun("etl", "a-run", {})
        backend.create_flow_run(flow)
        for level, message in ((20, "i"), (30, "w"), (40, "e"), (50, "c")):
            backend.log(flow.id, None, level, "etl", message, 1.0)
        backend.flush()
        assert _row(path, flow.id) == (3, 2)
        lines = list(_log_rows(path))
        backend.ingest([], [], lines)  # the same lines again (same uids): stored once
        backend.log(flow.id, None, 40, "etl", "e2", 2.0)
        backend.flush()
        assert _row(path, flow.id) == (4, 3)
        backend.log(flow.id, None, 20, "etl", "info only", 3.0)
        backend.flush()
        assert _row(path, flow.id) == (4, 3)
    finally:
        backend.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM logs").fetchone() == (6,)
    conn.close()


def test_the_runs_page_reads_the_embedded_counts(tmp_path: Path) -> None:
    """A record the embedded writer kept, served: the page shows its counts."""
    import warnings

    from cadenza.backends.embedded import EmbeddedBackend
    from cadenza.runs import FlowRun
    from cadenza.server.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    path = tmp_path / "cadenza.db"
    backend = EmbeddedBackend(path)
    flow = FlowRun("etl", "a-run", {})
    backend.create_flow_run(flow)
    backend.log(flow.id, None, 30, "etl", "w", 1.0)
    backend.log(flow.id, None, 40, "etl", "e", 1.0)
    backend.close()
    with TestClient(create_app(f"sqlite:///{path}", api_key="")) as api:
        assert _counts(api, flow.id) == (2, 1)


def _row(path: Path, run_id: str) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT warning_count, error_count FROM flow_runs WHERE id = ?", (run_id,)
        ).fetchone()
    finally:
        conn.close()


def _log_rows(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT flow_run_id, task_run_id, level, logger, message, timestamp, uid FROM logs"
        ).fetchall()
    finally:
        conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def empty_url(request, tmp_path: Path) -> str:
    """A new, empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_migration_0013_counts_the_lines_recorded_before_it(empty_url: str) -> None:
    url = empty_url
    assert migrate_url(url, "upgrade", "0012") == "0012"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for run_id in ("a", "b", "c"):
            conn.execute(
                sa.text(
                    "INSERT INTO flow_runs (id, name, flow_name, created) "
                    "VALUES (:id, :id, 'etl', 1.0)"
                ),
                {"id": run_id},
            )
        rows = [("a", 20), ("a", 30), ("a", 40), ("a", 50), ("b", 30), (None, 40)]
        for run_id, level in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO logs (flow_run_id, level, logger, message, timestamp) "
                    "VALUES (:r, :l, 'x', 'm', 1.0)"
                ),
                {"r": run_id, "l": level},
            )
    assert migrate_url(url, "upgrade", "0013") == "0013"
    with engine.connect() as conn:
        got = conn.execute(
            sa.text("SELECT id, warning_count, error_count FROM flow_runs ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in got] == [("a", 3, 2), ("b", 1, 0), ("c", 0, 0)]
