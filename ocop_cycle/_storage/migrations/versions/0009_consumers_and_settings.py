"""each consumer receives every notification; the store records its simulated clock

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Before 0009 the outbox held one lease and one acknowledgement per notification, shared by all
consumers: what "portal" claimed never reached "sms". Leases and acknowledgements move to
``ocop_outbox_deliveries``, one row per consumer and notification; the claims and
acknowledgements already made are carried over under the consumer that made them (a
notification acknowledged without a claim has no consumer to carry it to and is handed out
again, which at-least-once delivery allows). ``ocop_store_settings`` records what a store says
about itself (where a simulated clock stopped).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ocop_outbox_deliveries",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("outbox_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("consumer", "outbox_id", name=op.f("pk_ocop_outbox_deliveries")),
    )
    op.execute(
        "INSERT INTO ocop_outbox_deliveries (consumer, outbox_id, claimed_until, claims, acked_at) "
        "SELECT claimed_by, id, COALESCE(claimed_until, acked_at, created_at), 1, acked_at "
        "FROM ocop_outbox WHERE claimed_by IS NOT NULL"
    )
    with op.batch_alter_table("ocop_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ocop_outbox_acked_at"))
        batch_op.drop_column("acked_at")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
    op.create_table(
        "ocop_store_settings",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ocop_store_settings")),
    )


def downgrade() -> None:
    op.drop_table("ocop_store_settings")
    with op.batch_alter_table("ocop_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_ocop_outbox_acked_at"), ["acked_at"], unique=False)
    # One consumer's lease and acknowledgement survive per notification (the latest claimed).
    op.execute(
        "UPDATE ocop_outbox SET "
        "claimed_by = (SELECT d.consumer FROM ocop_outbox_deliveries d "
        "WHERE d.outbox_id = ocop_outbox.id ORDER BY d.claimed_until DESC LIMIT 1), "
        "claimed_until = (SELECT MAX(d.claimed_until) FROM ocop_outbox_deliveries d "
        "WHERE d.outbox_id = ocop_outbox.id), "
        "acked_at = (SELECT MAX(d.acked_at) FROM ocop_outbox_deliveries d "
        "WHERE d.outbox_id = ocop_outbox.id)"
    )
    op.drop_table("ocop_outbox_deliveries")
