"""Service leases: which server process runs each singleton service (the scheduler, the reaper,
the retention and automation services) when several processes serve one database.

A process holds a service while its lease's ``expires`` (the database's clock) is ahead; it renews
the lease well before then, and another process takes it over once it has passed, so a process
killed without a word hands its services on within one lease. ``host`` and ``pid`` say where the
holder runs, so that a process restarted on the same machine sees its predecessor is gone and
takes over at once instead of waiting for the expiry. One row per service name.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:25:49.809028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_leases",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("expires", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("acquired", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("service_leases")
