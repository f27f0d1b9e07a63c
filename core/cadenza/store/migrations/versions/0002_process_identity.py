"""process identity for crash detection

Revision ID: 0002
Revises: 0001
Create Date: 2024-11-29

Records which process runs a flow run (pid, hostname, process start time) so that a later
process can tell a run whose process died (Crashed) from one still running.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.add_column(sa.Column("pid", sa.Integer, nullable=True))
        batch.add_column(sa.Column("hostname", sa.Text, nullable=True))
        batch.add_column(sa.Column("process_start", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.drop_column("process_start")
        batch.drop_column("hostname")
        batch.drop_column("pid")
