"""Saved views: named filters of a dashboard page, kept on the server so that every user of the
dashboard and every script sees the same ones, and at most one default per page.

``query`` is the view's filter fields as a JSON object (the runs list's: ``state``, ``flow_name``,
``deployment``, ``tag``, ``q``, ``sort``, ``range``...), checked by the API before it is stored.
The default is enforced twice: the store clears the page's previous default in the transaction
that sets a new one, and a partial unique index on ``page`` where ``is_default`` refuses a
second one whatever writes it (SQLite and PostgreSQL both have partial indexes).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 17:32:43.009878
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("page", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), server_default="{}", nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_saved_views_name"),
    )
    op.create_index(
        "ux_saved_views_default_page",
        "saved_views",
        ["page"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )


def downgrade() -> None:
    op.drop_index("ux_saved_views_default_page", table_name="saved_views")
    op.drop_table("saved_views")
