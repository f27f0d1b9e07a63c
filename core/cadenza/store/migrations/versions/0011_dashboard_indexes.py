"""Dashboard indexes: the runs list's keyset pages filtered by state, flow or deployment.

`GET /api/flow_runs/page` reads ``ORDER BY created DESC, id DESC`` after a ``(created, id)``
cursor; with a filter, an index led by the filtered column and ending in ``(created, id)`` reads
a page straight off the index (measured by benchmarks/dashboard_queries.py at 100,000 runs on
SQLite: a state-filtered page 12.5 → 4.7 ms, a flow's 8.1 → 4.3 ms, a deployment's 7.7 → 4.3 ms).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:21:19.754190
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_flow_runs_deployment_created", ["deployment_id", "created", "id"], unique=False
        )
        batch_op.create_index(
            "ix_flow_runs_flow_created", ["flow_name", "created", "id"], unique=False
        )
        batch_op.create_index(
            "ix_flow_runs_state_created", ["state_type", "created", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_runs_state_created")
        batch_op.drop_index("ix_flow_runs_flow_created")
        batch_op.drop_index("ix_flow_runs_deployment_created")
