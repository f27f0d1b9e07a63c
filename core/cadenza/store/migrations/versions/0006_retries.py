"""retries allowed per run

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

How many retries a flow run or task run allows, so that a coordination server (which has no
in-memory run) can apply the retry rule (`FailedOnlyRetries`) from the record alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (constant default): no table rebuild, however large the record.
    for table in ("flow_runs", "task_runs"):
        op.add_column(
            table, sa.Column("retries", sa.Integer, nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    for table in ("task_runs", "flow_runs"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("retries")
