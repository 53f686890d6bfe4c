"""deadlines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ocop_deadlines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lateness_seconds", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocop_deadlines")),
        sa.UniqueConstraint("key", name=op.f("uq_ocop_deadlines_key")),
    )
    with op.batch_alter_table("ocop_deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_ocop_deadlines_status_due_at", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ocop_deadlines_dossier_id"), ["dossier_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("ocop_deadlines")
