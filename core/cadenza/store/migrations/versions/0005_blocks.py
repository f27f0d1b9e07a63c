"""saved blocks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Saved blocks (typed configuration and credentials, `cadenza.blocks`): one row per saved block,
unique by block type slug and name. `data` is the block's fields as JSON, each secret field
replaced by a Fernet token (the key is kept outside the database); `schema_checksum` is the
checksum of the block type's schema when the block was saved, so a changed type is detected on
load.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Epoch = sa.Double().with_variant(sa.REAL(), "sqlite")  # as in 0001


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("type_slug", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False, server_default="{}"),
        sa.Column("schema_checksum", sa.Text, nullable=False),
        sa.Column("created", Epoch, nullable=False),
        sa.Column("updated", Epoch, nullable=False),
        sa.UniqueConstraint("type_slug", "name", name="uq_blocks_type_slug_name"),
    )


def downgrade() -> None:
    op.drop_table("blocks")
