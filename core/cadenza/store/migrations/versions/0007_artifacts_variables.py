"""artifacts and variables

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Artifacts (`cadenza.artifacts`): markdown, tables and links a run publishes, one row each,
optionally under a ``key`` whose newest row is the artifact's current version. ``data`` is the
artifact's content as JSON text. Variables (`cadenza.variables`): named JSON values with tags,
one row per name.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Epoch = sa.Double().with_variant(sa.REAL(), "sqlite")  # as in 0001


def upgrade() -> None:
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("key", sa.Text),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("flow_run_id", sa.Text),
        sa.Column("task_run_id", sa.Text),
        sa.Column("created", Epoch, nullable=False),
    )
    op.create_index("ix_artifacts_key_created", "artifacts", ["key", "created"])
    op.create_index("ix_artifacts_flow_run_id", "artifacts", ["flow_run_id"])
    op.create_table(
        "variables",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created", Epoch, nullable=False),
        sa.Column("updated", Epoch, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("variables")
    op.drop_index("ix_artifacts_flow_run_id", table_name="artifacts")
    op.drop_index("ix_artifacts_key_created", table_name="artifacts")
    op.drop_table("artifacts")
