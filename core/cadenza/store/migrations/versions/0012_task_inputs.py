"""task inputs: the run graph's edges

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Which task runs fed each task run (Prefect's ``task_inputs``): parameter name, or ``wait_for``,
-> upstream task-run ids, as JSON in a nullable column of ``task_runs``, read by
``GET /api/flow_runs/{ref}/graph``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN of a nullable column: no table rebuild, however large the record.
    op.add_column("task_runs", sa.Column("task_inputs", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("task_runs") as batch:
        batch.drop_column("task_inputs")
