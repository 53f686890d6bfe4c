"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "ocop_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("actor_role", sa.String(length=40), nullable=False),
        sa.Column("actor_jurisdiction", sa.String(length=5), nullable=False),
        sa.Column("actor_id", sa.String(length=200), nullable=True),
        sa.Column("actor_name", sa.String(length=300), nullable=True),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocop_events")),
        sa.UniqueConstraint("dossier_id", "seq", name=op.f("uq_ocop_events_dossier_id_seq")),
    )
    with op.batch_alter_table("ocop_events", schema=None) as batch_op:
        batch_op.create_index("ix_ocop_events_recorded_at", ["recorded_at"], unique=False)

    op.create_table(
        "ocop_idempotency",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("command", sa.String(length=60), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_ocop_idempotency")),
    )
    op.create_table(
        "ocop_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("recipient_role", sa.String(length=40), nullable=False),
        sa.Column("recipient_jurisdiction", sa.String(length=5), nullable=False),
        sa.Column("message_vi", sa.Text(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocop_outbox")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_ocop_outbox_notification_id")),
    )
    with op.batch_alter_table("ocop_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ocop_outbox_acked_at"), ["acked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ocop_outbox_dossier_id"), ["dossier_id"], unique=False)

    op.create_table(
        "ocop_producers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("district_code", sa.String(length=3), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocop_producers")),
    )
    op.create_table(
        "ocop_rounds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("registration_deadline", sa.Date(), nullable=False),
        sa.Column("council_meeting_on", sa.Date(), nullable=False),
        sa.Column("scoring_deadline", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocop_rounds")),
        sa.UniqueConstraint(
            "year",
            "jurisdiction_code",
            "number",
            name=op.f("uq_ocop_rounds_year_jurisdiction_code_number"),
        ),
    )
    op.create_table(
        "ocop_products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("producer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("product_group", sa.String(length=60), nullable=False),
        sa.Column("product_set", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["ocop_producers.id"],
            name=op.f("fk_ocop_products_producer_id_ocop_producers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocop_products")),
    )
    with op.batch_alter_table("ocop_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ocop_products_producer_id"), ["producer_id"], unique=False
        )

    op.create_table(
        "ocop_dossiers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("producer_id", sa.Uuid(), nullable=False),
        sa.Column("producer_name", sa.String(length=300), nullable=False),
        sa.Column("producer_kind", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("product_name", sa.String(length=300), nullable=False),
        sa.Column("product_group", sa.String(length=60), nullable=False),
        sa.Column("product_set", sa.String(length=60), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("district_code", sa.String(length=3), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("predecessor_id", sa.Uuid(), nullable=True),
        sa.Column("successor_id", sa.Uuid(), nullable=True),
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=True),
        sa.Column(
            "score",
            sa.String(length=20).with_variant(sa.Numeric(6, 2), "postgresql"),
            nullable=True,
        ),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("scored_on", sa.Date(), nullable=True),
        sa.Column("supplement_due_on", sa.Date(), nullable=True),
        sa.Column("certified_stars", sa.Integer(), nullable=True),
        sa.Column("certified_level", sa.String(length=20), nullable=True),
        sa.Column("certificate_number", sa.String(length=100), nullable=True),
        sa.Column("decision_number", sa.String(length=100), nullable=True),
        sa.Column("issuing_body", sa.String(length=300), nullable=True),
        sa.Column("certified_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("last_inspection_on", sa.Date(), nullable=True),
        sa.Column("last_inspection_passed", sa.Boolean(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["ocop_dossiers.id"],
            name=op.f("fk_ocop_dossiers_predecessor_id_ocop_dossiers"),
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["ocop_producers.id"],
            name=op.f("fk_ocop_dossiers_producer_id_ocop_producers"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["ocop_products.id"],
            name=op.f("fk_ocop_dossiers_product_id_ocop_products"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["ocop_rounds.id"], name=op.f("fk_ocop_dossiers_round_id_ocop_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocop_dossiers")),
    )
    with op.batch_alter_table("ocop_dossiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ocop_dossiers_commune_code"), ["commune_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ocop_dossiers_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ocop_dossiers_producer_id"), ["producer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ocop_dossiers_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ocop_dossiers_predecessor_id"), ["predecessor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ocop_dossiers_province_code"), ["province_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ocop_dossiers_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ocop_dossiers_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ocop_dossiers_valid_until"), ["valid_until"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("ocop_dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ocop_dossiers_valid_until"))
        batch_op.drop_index(batch_op.f("ix_ocop_dossiers_state"))
        batch_op.drop_index(batch_op.f("ix_ocop_dossiers_round_id"))
        batch_op.drop_index(batch_op.f("ix_ocop_dossiers_province_code"))
        batch_op.drop_index(batch_op.f("ix_ocop_dossiers_product_id"))
        batch_op.drop_index(batch_op.f("ix_ocop_dossiers_producer_id"))
        batch_op.drop_index(batch_op.f("ix_ocop_dossiers_district_code"))
        batch_op.drop_index(batch_op.f("ix_ocop_dossiers_commune_code"))

    op.drop_table("ocop_dossiers")
    with op.batch_alter_table("ocop_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ocop_products_producer_id"))

    op.drop_table("ocop_products")
    op.drop_table("ocop_rounds")
    op.drop_table("ocop_producers")
    with op.batch_alter_table("ocop_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ocop_outbox_dossier_id"))
        batch_op.drop_index(batch_op.f("ix_ocop_outbox_acked_at"))

    op.drop_table("ocop_outbox")
    op.drop_table("ocop_idempotency")
    with op.batch_alter_table("ocop_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ocop_events_recorded_at")

    op.drop_table("ocop_events")
