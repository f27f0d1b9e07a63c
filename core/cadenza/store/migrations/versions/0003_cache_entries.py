"""task result cache

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Cache entries: a cache key (computed by a task's cache policy) pointing at a persisted result,
with an optional expiration. The value itself lives in result storage; this table is what lets
another process find it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Epoch = sa.Double().with_variant(sa.REAL(), "sqlite")  # as in 0001


def upgrade() -> None:
    op.create_table(
        "cache_entries",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("result_ref", sa.Text, nullable=False),
        sa.Column("task_key", sa.Text),
        sa.Column("task_run_id", sa.Text),
        sa.Column("created", Epoch, nullable=False),
        sa.Column("expiration", Epoch),
    )


def downgrade() -> None:
    op.drop_table("cache_entries")
