"""checkpoints

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ocop_checkpoints",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_event_id", sa.BigInteger(), nullable=False),
        sa.Column("dossier_count", sa.Integer(), nullable=False),
        sa.Column("event_count", sa.BigInteger(), nullable=False),
        sa.Column("keyed", sa.Boolean(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocop_checkpoints")),
    )
    op.create_table(
        "ocop_checkpoint_heads",
        sa.Column("checkpoint_id", BIG_ID, nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ocop_checkpoints.id"],
            name=op.f("fk_ocop_checkpoint_heads_checkpoint_id_ocop_checkpoints"),
        ),
        sa.PrimaryKeyConstraint(
            "checkpoint_id", "dossier_id", name=op.f("pk_ocop_checkpoint_heads")
        ),
    )


def downgrade() -> None:
    op.drop_table("ocop_checkpoint_heads")
    op.drop_table("ocop_checkpoints")
