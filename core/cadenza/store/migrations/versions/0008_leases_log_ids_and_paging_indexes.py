"""Leases for flow runs, ids for log lines, indexes for paging.

``flow_runs.lease_expires``: a server marks a run Crashed when the process running it stops
renewing its lease (heartbeats), so a killed process never leaves a run Running.
``logs.uid``: the id the recording process gave a line, unique, so a batch resent after its
answer was lost does not repeat its log lines.
``(task_runs.flow_run_id, created)`` and ``(logs.flow_run_id, id)``: a page of a run's task runs
or logs costs what the page holds, not what the run holds. They replace the indexes on
``flow_run_id`` alone, which they cover, so an insert maintains no more indexes than before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 14:06:27.819068
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_expires", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_flow_runs_lease_expires"), ["lease_expires"], unique=False
        )

    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.Text(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_logs_flow_run_id"))
        batch_op.create_index("ix_logs_flow_run_id_id", ["flow_run_id", "id"], unique=False)
        batch_op.create_index("ux_logs_uid", ["uid"], unique=True)

    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_runs_flow_run_id"))
        batch_op.create_index(
            "ix_task_runs_flow_run_created", ["flow_run_id", "created"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_task_runs_flow_run_created")
        batch_op.create_index(batch_op.f("ix_task_runs_flow_run_id"), ["flow_run_id"], unique=False)

    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.drop_index("ux_logs_uid")
        batch_op.drop_index("ix_logs_flow_run_id_id")
        batch_op.create_index(batch_op.f("ix_logs_flow_run_id"), ["flow_run_id"], unique=False)
        batch_op.drop_column("uid")

    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_runs_lease_expires"))
        batch_op.drop_column("lease_expires")
