"""The run record's tables as SQLAlchemy Core objects, for the server's reads and writes.

The Alembic revisions in ``cadenza/store/migrations`` own the schema; these declarations mirror
their head, and ``tests/server/test_tables.py`` checks that the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

# REAL on SQLite (8-byte float); DOUBLE PRECISION elsewhere, as in migration 0001.
Epoch = sa.Double().with_variant(sa.REAL(), "sqlite")

metadata = sa.MetaData()

flow_runs = sa.Table(
    "flow_runs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("flow_name", sa.Text, nullable=False, index=True),
    sa.Column("flow_version", sa.Text),
    sa.Column("parent_flow_run_id", sa.Text, index=True),
    sa.Column("parent_task_run_id", sa.Text),
    sa.Column("parameters", sa.Text, nullable=False, server_default="{}"),
    sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
    sa.Column("state_type", sa.Text, index=True),
    sa.Column("state_name", sa.Text),
    sa.Column("state_message", sa.Text),
    sa.Column("created", Epoch, nullable=False, index=True),
    sa.Column("start_time", Epoch),
    sa.Column("end_time", Epoch),
    sa.Column("run_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("result_ref", sa.Text),
    sa.Column("pid", sa.Integer),
    sa.Column("hostname", sa.Text),
    sa.Column("process_start", sa.Text),
    sa.Column("entrypoint", sa.Text),
    sa.Column("resumed_from", sa.Text),
    sa.Column("retries", sa.Integer, nullable=False, server_default=sa.text("0")),
)

task_runs = sa.Table(
    "task_runs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("flow_run_id", sa.Text, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("task_name", sa.Text, nullable=False),
    sa.Column("task_key", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
    sa.Column("state_type", sa.Text, index=True),
    sa.Column("state_name", sa.Text),
    sa.Column("state_message", sa.Text),
    sa.Column("created", Epoch, nullable=False),
    sa.Column("start_time", Epoch),
    sa.Column("end_time", Epoch),
    sa.Column("run_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("result_ref", sa.Text),
    sa.Column("cache_key", sa.Text),
    sa.Column("retries", sa.Integer, nullable=False, server_default=sa.text("0")),
)

run_states = sa.Table(
    "run_states",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("transition_id", sa.Text, nullable=False),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("flow_run_id", sa.Text, index=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("message", sa.Text),
    sa.Column("timestamp", Epoch, nullable=False),
    sa.Column("details", sa.Text),
    sa.UniqueConstraint("run_id", "transition_id", name="uq_run_states_run_transition"),
    sqlite_autoincrement=True,
)

logs = sa.Table(
    "logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("flow_run_id", sa.Text, index=True),
    sa.Column("task_run_id", sa.Text),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("logger", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("timestamp", Epoch, nullable=False),
    sqlite_autoincrement=True,
)

cache_entries = sa.Table(
    "cache_entries",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("result_ref", sa.Text, nullable=False),
    sa.Column("task_key", sa.Text),
    sa.Column("task_run_id", sa.Text),
    sa.Column("created", Epoch, nullable=False),
    sa.Column("expiration", Epoch),
)

blocks = sa.Table(
    "blocks",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type_slug", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False, server_default="{}"),
    sa.Column("schema_checksum", sa.Text, nullable=False),
    sa.Column("created", Epoch, nullable=False),
    sa.Column("updated", Epoch, nullable=False),
    sa.UniqueConstraint("type_slug", "name", name="uq_blocks_type_slug_name"),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("key", sa.Text),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("flow_run_id", sa.Text),
    sa.Column("task_run_id", sa.Text),
    sa.Column("created", Epoch, nullable=False),
    sa.Index("ix_artifacts_key_created", "key", "created"),
    sa.Index("ix_artifacts_flow_run_id", "flow_run_id"),
)

variables = sa.Table(
    "variables",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
    sa.Column("created", Epoch, nullable=False),
    sa.Column("updated", Epoch, nullable=False),
)
