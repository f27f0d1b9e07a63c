"""Log counts on the flow run: its lines at WARNING and above and at ERROR and above.

The runs list shows both for every run of a page; counting them at query time cost a scan of
the page's runs' log lines, growing with how much they logged. Writers now add to these columns
in the transaction that stores the lines (a resent line, dropped by its uid, is not counted
again), so the list reads them off the row. Existing runs are counted here, once, from their
log lines (one grouped pass over ``logs``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:14:29.611334
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WARNING, ERROR = 30, 40


def upgrade() -> None:
    # ADD COLUMN in place (a batch operation would copy the whole table on SQLite)
    for name in ("warning_count", "error_count"):
        op.add_column(
            "flow_runs", sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    # as the tables were at this revision (not cadenza.store.tables, which moves on)
    logs = sa.table("logs", sa.column("flow_run_id"), sa.column("level"))
    flow_runs = sa.table(
        "flow_runs", sa.column("id"), sa.column("warning_count"), sa.column("error_count")
    )
    counts = (
        sa.select(
            logs.c.flow_run_id,
            sa.func.count().label("warnings"),
            sa.func.sum(sa.case((logs.c.level >= ERROR, 1), else_=0)).label("errors"),
        )
        .where(logs.c.level >= WARNING, logs.c.flow_run_id.is_not(None))
        .group_by(logs.c.flow_run_id)
        .subquery()
    )
    op.execute(
        flow_runs.update()
        .where(flow_runs.c.id == counts.c.flow_run_id)
        .values(warning_count=counts.c.warnings, error_count=counts.c.errors)
    )


def downgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_column("error_count")
        batch_op.drop_column("warning_count")
