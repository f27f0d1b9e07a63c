"""initial record

Revision ID: 0001
Revises:
Create Date: 2024-11-29

Flow runs, task runs, every state transition in arrival order, and log lines. Timestamps are
epoch seconds (REAL on SQLite, DOUBLE PRECISION elsewhere); JSON is stored as TEXT.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# REAL on SQLite (8-byte float); DOUBLE PRECISION on PostgreSQL, whose REAL is only 4 bytes.
Epoch = sa.Double().with_variant(sa.REAL(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "flow_runs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("flow_name", sa.Text, nullable=False),
        sa.Column("flow_version", sa.Text),
        sa.Column("parent_flow_run_id", sa.Text),
        sa.Column("parent_task_run_id", sa.Text),
        sa.Column("parameters", sa.Text, nullable=False, server_default="{}"),
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("state_type", sa.Text),
        sa.Column("state_name", sa.Text),
        sa.Column("state_message", sa.Text),
        sa.Column("created", Epoch, nullable=False),
        sa.Column("start_time", Epoch),
        sa.Column("end_time", Epoch),
        sa.Column("run_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("result_ref", sa.Text),
    )
    for column in ("state_type", "created", "flow_name", "parent_flow_run_id"):
        op.create_index(f"ix_flow_runs_{column}", "flow_runs", [column])

    op.create_table(
        "task_runs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("flow_run_id", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("task_name", sa.Text, nullable=False),
        sa.Column("task_key", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("state_type", sa.Text),
        sa.Column("state_name", sa.Text),
        sa.Column("state_message", sa.Text),
        sa.Column("created", Epoch, nullable=False),
        sa.Column("start_time", Epoch),
        sa.Column("end_time", Epoch),
        sa.Column("run_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("result_ref", sa.Text),
        sa.Column("cache_key", sa.Text),
    )
    for column in ("flow_run_id", "state_type"):
        op.create_index(f"ix_task_runs_{column}", "task_runs", [column])

    op.create_table(
        "run_states",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("transition_id", sa.Text, nullable=False),
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("flow_run_id", sa.Text),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("timestamp", Epoch, nullable=False),
        sa.Column("details", sa.Text),
        # A transition id is applied once per run; this index also serves lookups by run_id.
        sa.UniqueConstraint("run_id", "transition_id", name="uq_run_states_run_transition"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_run_states_flow_run_id", "run_states", ["flow_run_id"])

    op.create_table(
        "logs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("flow_run_id", sa.Text),
        sa.Column("task_run_id", sa.Text),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("logger", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("timestamp", Epoch, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_logs_flow_run_id", "logs", ["flow_run_id"])


def downgrade() -> None:
    for table in ("logs", "run_states", "task_runs", "flow_runs"):
        op.drop_table(table)  # dropping a table drops its indexes
