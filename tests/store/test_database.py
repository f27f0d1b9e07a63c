"""Schema, migrations and `ensure_schema` against real SQLite files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cadenza.exceptions import StoreError
from cadenza.store import database, generate
from cadenza.store.database import (
    HEAD_REVISION,
    connect,
    current_revision,
    downgrade,
    ensure_schema,
    upgrade,
)
from cadenza.store.tables import metadata

# A new record has the declared tables' columns in their declared order: the order the generated
# statements (and the row builders that follow them) use, and the order ADD COLUMN gives.
EXPECTED_COLUMNS = {name: [c.name for c in t.c] for name, t in metadata.tables.items()}
EXPECTED_INDEXED = {
    "flow_runs": {"state_type", "created", "flow_name", "parent_flow_run_id"},
    "task_runs": {"flow_run_id", "state_type"},
    "run_states": {"run_id", "flow_run_id", "transition_id"},
    "logs": {"flow_run_id"},
    "cache_entries": {"key"},
    "blocks": {"type_slug", "name"},
}


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _insert_flow_run(path: Path, run_id: str = "run-1") -> None:
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO flow_runs (id, name, flow_name, parameters, created) VALUES (?,?,?,?,?)",
        (run_id, "old-run", "etl", '{"n": 1}', 1.5),
    )
    conn.commit()
    conn.close()


def test_head_revision_matches_alembic_scripts() -> None:
    assert database.script_head() == HEAD_REVISION
    assert database.known_revisions() == [f"{n:04d}" for n in range(1, 17)]


def test_fresh_schema_has_every_column_and_index(db_path: Path) -> None:
    ensure_schema(db_path)
    conn = sqlite3.connect(db_path)
    for table, columns in EXPECTED_COLUMNS.items():
        assert _columns(conn, table) == columns
        indexed = set()
        for _seq, index, *_ in conn.execute(f"PRAGMA index_list({table})"):
            indexed |= {row[2] for row in conn.execute(f"PRAGMA index_info({index})")}
        assert EXPECTED_INDEXED.get(table, set()) <= indexed, table
    defaults = {r[1]: r[4] for r in conn.execute("PRAGMA table_info(flow_runs)")}
    assert defaults["parameters"] == "'{}'" and defaults["tags"] == "'[]'"
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name='run_states'").fetchone()[0]
    assert "AUTOINCREMENT" in sql
    assert current_revision(db_path) == HEAD_REVISION


def test_older_database_is_upgraded_with_rows_intact(db_path: Path) -> None:
    upgrade(db_path, "0001")
    assert current_revision(db_path) == "0001"
    assert "pid" not in _columns(sqlite3.connect(db_path), "flow_runs")
    _insert_flow_run(db_path)

    ensure_schema(db_path)

    assert current_revision(db_path) == HEAD_REVISION
    conn = sqlite3.connect(db_path)
    row = conn.execute(
        "SELECT id, name, parameters, tags, run_count, pid, hostname FROM flow_runs"
    ).fetchone()
    assert row == ("run-1", "old-run", '{"n": 1}', "[]", 0, None, None)


def test_downgrade_and_upgrade_round_trip(db_path: Path) -> None:
    ensure_schema(db_path)
    _insert_flow_run(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE flow_runs SET pid = 42")
    conn.commit()

    downgrade(db_path, "0001")
    assert current_revision(db_path) == "0001"
    assert "pid" not in _columns(conn, "flow_runs")
    assert conn.execute("SELECT id FROM flow_runs").fetchall() == [("run-1",)]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_flow_runs_created" in indexes  # batch recreate kept the indexes

    upgrade(db_path)
    assert current_revision(db_path) == HEAD_REVISION
    assert conn.execute("SELECT id, pid FROM flow_runs").fetchall() == [("run-1", None)]

    downgrade(db_path, "base")
    assert current_revision(db_path) is None
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not tables & set(EXPECTED_COLUMNS)
    ensure_schema(db_path)
    assert current_revision(db_path) == HEAD_REVISION


def test_newer_unknown_revision_is_refused(db_path: Path) -> None:
    ensure_schema(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.commit()
    with pytest.raises(StoreError) as info:
        ensure_schema(db_path)
    assert "0099_future" in str(info.value) and HEAD_REVISION in str(info.value)
    with pytest.raises(StoreError):
        downgrade(db_path, "0001")
    assert current_revision(db_path) == "0099_future"  # untouched


def test_non_database_file_is_refused_without_damage(tmp_path: Path) -> None:
    path = tmp_path / "cadenza.db"
    junk = b"this is not a sqlite database\n" * 200
    path.write_bytes(junk)
    for call in (ensure_schema, current_revision, connect):
        with pytest.raises(StoreError) as info:
            call(path)
        assert str(path) in str(info.value)
    assert path.read_bytes() == junk


def test_unknown_target_revision_is_a_store_error(db_path: Path) -> None:
    ensure_schema(db_path)
    with pytest.raises(StoreError, match="nope"):
        downgrade(db_path, "nope")
    with pytest.raises(StoreError):
        downgrade(db_path.with_name("missing.db"), "base")


_CHILD = """
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
from cadenza.store.database import ensure_schema, connect
ensure_schema(Path(sys.argv[1]))
conn = connect(Path(sys.argv[1]))
conn.execute("INSERT INTO logs (level, logger, message, timestamp) VALUES (20, 'x', 'hi', 1.0)")
"""


@pytest.mark.integration  # many processes
def test_many_processes_create_a_fresh_record_at_once(tmp_path: Path) -> None:
    path, go = tmp_path / "fresh" / "cadenza.db", tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    time.sleep(0.5)  # let every child start and wait on the barrier
    go.touch()
    results = [(c.wait(timeout=120), c.stderr.read().decode()) for c in children]
    assert all(rc == 0 for rc, _ in results), results
    assert current_revision(path) == HEAD_REVISION
    assert sqlite3.connect(path).execute("SELECT count(*) FROM logs").fetchone() == (8,)


def test_fast_path_skips_sqlalchemy_and_is_quick(db_path: Path) -> None:
    ensure_schema(db_path)
    code = (
        "import sys, time\nfrom pathlib import Path\n"
        "from cadenza.store.database import ensure_schema\n"
        f"p = Path({str(db_path)!r})\n"
        "ensure_schema(p)\nbest = 1.0\n"
        "for _ in range(20):\n"
        "    t = time.perf_counter(); ensure_schema(p); best = min(best, time.perf_counter() - t)\n"
        "print(best, 'sqlalchemy' in sys.modules, 'alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    best, sa_loaded, alembic_loaded = out.stdout.split()
    assert (sa_loaded, alembic_loaded) == ("False", "False")
    assert float(best) < 0.005


def test_connect_settings(db_path: Path) -> None:
    ensure_schema(db_path)
    conn = connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA busy_timeout").fetchone() == (60000,)
    assert conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    assert conn.isolation_level is None
    seen = []
    thread = threading.Thread(
        target=lambda: seen.append(conn.execute("SELECT count(*) FROM flow_runs").fetchone())
    )
    thread.start()
    thread.join()
    assert seen == [(0,)]  # a tuple row, usable from another thread


def test_connect_creates_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "cadenza.db"
    connect(path).close()
    assert path.exists()


def test_default_db_path_follows_cadenza_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENZA_HOME", "/somewhere/else")
    assert database.default_db_path() == Path("/somewhere/else/cadenza.db")
    monkeypatch.delenv("CADENZA_HOME")
    monkeypatch.setenv("HOME", "/home/someone")
    assert database.default_db_path() == Path("/home/someone/.cadenza/cadenza.db")


def test_importing_the_store_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, cadenza.store.database, cadenza.store.queries\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_migration_files_are_inside_the_package() -> None:
    root = Path(database.__file__).parent / "migrations"
    assert (root / "env.py").is_file() and (root / "script.py.mako").is_file()
    assert len(list((root / "versions").glob("0*.py"))) == len(database.known_revisions())
    assert os.path.commonpath([root, Path(database.__file__).parent]) == str(root.parent)


def test_schema_snapshot_matches_the_migrations(tmp_path: Path) -> None:
    """`schema.sql` (used to create new records fast) is what the migrations produce; after
    adding a migration, regenerate it with `python -m cadenza.store.generate`."""
    from cadenza.store import snapshot

    migrated = generate.migrated_record(tmp_path / "migrated.db")
    assert snapshot.SNAPSHOT.read_text() == generate.render_schema(migrated), (
        "schema.sql is stale: run `python -m cadenza.store.generate`"
    )
    assert snapshot.snapshot_revision() == HEAD_REVISION


def test_a_new_record_is_created_without_importing_alembic(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from cadenza.store.database import ensure_schema, "
        f"current_revision; p = Path({str(tmp_path / 'new.db')!r}); ensure_schema(p); "
        "print(current_revision(p), 'alembic' in sys.modules, 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [HEAD_REVISION, "False", "False"]
    created = sqlite3.connect(tmp_path / "new.db")
    tables = {r[0] for r in created.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    created.close()
    assert {"flow_runs", "task_runs", "run_states", "logs", "cache_entries"} <= tables
