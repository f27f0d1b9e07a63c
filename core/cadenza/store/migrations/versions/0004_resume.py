"""resuming flow runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Where a flow lives (`entrypoint`, ``path/to/file.py:function``), so that a failed run can be
resumed from the command line, and which run a resumed run continues (`resumed_from`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.add_column(sa.Column("entrypoint", sa.Text, nullable=True))
        batch.add_column(sa.Column("resumed_from", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.drop_column("resumed_from")
        batch.drop_column("entrypoint")
