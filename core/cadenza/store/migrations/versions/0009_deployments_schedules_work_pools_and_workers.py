"""Deployments, their schedules, work pools, work queues and workers.

A deployment names a flow's code and how to run it; the scheduler creates its runs ahead of time
(flow runs gain the deployment, pool, queue, expected start time and a unique idempotency key,
so two schedulers never create one slot twice) and workers claim them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:26:09.693403
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_schedules",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("deployment_id", sa.Text(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("parameters", sa.Text(), server_default="{}", nullable=False),
        sa.Column("slug", sa.Text(), nullable=True),
        sa.Column("created", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deployment_schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_schedules_deployment_id"), ["deployment_id"], unique=False
        )

    op.create_table(
        "deployments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("flow_name", sa.Text(), nullable=False),
        sa.Column("entrypoint", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("parameters", sa.Text(), server_default="{}", nullable=False),
        sa.Column("parameter_schema", sa.Text(), server_default="{}", nullable=False),
        sa.Column("tags", sa.Text(), server_default="[]", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("work_pool_name", sa.Text(), nullable=True),
        sa.Column("work_queue_name", sa.Text(), nullable=True),
        sa.Column("job_variables", sa.Text(), server_default="{}", nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("catchup", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "late_after",
            sa.Double().with_variant(sa.REAL(), "sqlite"),
            server_default=sa.text("15"),
            nullable=False,
        ),
        sa.Column("created", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("flow_name", "name", name="uq_deployments_flow_name_name"),
    )
    op.create_table(
        "work_pools",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), server_default="process", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("base_job_template", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "work_queues",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("pool_name", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pool_name", "name", name="uq_work_queues_pool_name_name"),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("pool_name", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("hostname", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("last_heartbeat", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("lease_expires", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("created", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pool_name", "name", name="uq_workers_pool_name_name"),
    )
    # In place (SQLite adds columns and indexes without rebuilding the table), so a record's
    # indexes keep their order and a large record is not copied.
    with op.batch_alter_table("flow_runs", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("deployment_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("work_pool_name", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("work_queue_name", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "expected_start_time", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("idempotency_key", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("auto_scheduled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("schedule_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("job_variables", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("worker_name", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_flow_runs_deployment_id"), ["deployment_id"], unique=False
        )
        batch_op.create_index(
            "ix_flow_runs_state_expected_start", ["state_type", "expected_start_time"], unique=False
        )
        batch_op.create_index("ux_flow_runs_idempotency_key", ["idempotency_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_index("ux_flow_runs_idempotency_key")
        batch_op.drop_index("ix_flow_runs_state_expected_start")
        batch_op.drop_index(batch_op.f("ix_flow_runs_deployment_id"))
        batch_op.drop_column("worker_name")
        batch_op.drop_column("job_variables")
        batch_op.drop_column("schedule_id")
        batch_op.drop_column("auto_scheduled")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("expected_start_time")
        batch_op.drop_column("work_queue_name")
        batch_op.drop_column("work_pool_name")
        batch_op.drop_column("deployment_id")

    op.drop_table("workers")
    op.drop_table("work_queues")
    op.drop_table("work_pools")
    op.drop_table("deployments")
    with op.batch_alter_table("deployment_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_schedules_deployment_id"))

    op.drop_table("deployment_schedules")
