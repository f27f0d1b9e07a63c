"""`cadenza.store.tables` is the layout the migrations create, on SQLite and on PostgreSQL.

Alembic's own comparison (the one ``alembic revision --autogenerate`` uses) runs between the
declared tables and a database that ``alembic upgrade head`` built from nothing: any difference
in tables, columns, types, nullability, server defaults, indexes or unique constraints fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cadenza.store import tables
from cadenza.store.database import HEAD_REVISION, ensure_schema
from cadenza.store.urls import migrate_url


def _differences(url: str, metadata: sa.MetaData = tables.metadata) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts=dict(tables.COMPARE_OPTIONS))
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a database that ``alembic upgrade head`` built from nothing (read only)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('migrated') / 'cadenza.db'}"
    else:
        url = request.getfixturevalue("postgres_cluster").create_database()
    assert migrate_url(url, "upgrade", "head") == HEAD_REVISION  # Alembic, never the snapshot
    return url


def test_the_migrations_create_the_declared_tables(migrated: str) -> None:
    assert _differences(migrated) == []


def test_every_migrated_table_is_declared(migrated: str) -> None:
    engine = sa.create_engine(migrated)
    try:
        names = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert names == set(tables.metadata.tables)


def test_a_record_created_from_the_snapshot_has_the_declared_tables(tmp_path: Path) -> None:
    path = tmp_path / "cadenza.db"
    ensure_schema(path)  # a new file: created from schema.sql, without Alembic
    assert _differences(f"sqlite:///{path}") == []


def _add_column(m: sa.MetaData) -> None:
    m.tables["flow_runs"].append_column(sa.Column("not_in_any_migration", tables.Epoch))


def _add_index(m: sa.MetaData) -> None:
    sa.Index("ix_logs_task_run_id", m.tables["logs"].c.task_run_id)


def _add_unique(m: sa.MetaData) -> None:
    m.tables["variables"].append_constraint(sa.UniqueConstraint("value", name="uq_value"))


def _not_null(m: sa.MetaData) -> None:
    m.tables["task_runs"].c.cache_key.nullable = False


def _retype(m: sa.MetaData) -> None:
    m.tables["logs"].c.timestamp.type = sa.Text()


def _new_default(m: sa.MetaData) -> None:
    m.tables["flow_runs"].c.tags.server_default = sa.DefaultClause("{}")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_add_column, "add_column"),
        (_add_index, "add_index"),
        (_add_unique, "add_constraint"),
        (_not_null, "modify_nullable"),
        (_retype, "modify_type"),
        (_new_default, "modify_default"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_a_change_to_the_tables_alone_is_reported(migrated: str, change, expected: str) -> None:
    """Guard against a comparison that can never fail: each drift made to a copy of the
    declared tables (never to a migration) is found, and only it."""
    copy = sa.MetaData()
    for table in tables.metadata.tables.values():
        table.to_metadata(copy)
    change(copy)
    found = _differences(migrated, copy)
    # A column's changes come grouped in a list of tuples; others are single tuples.
    kinds = [diff[0][0] if isinstance(diff, list) else diff[0] for diff in found]
    assert kinds == [expected], found
