"""product codes: T-X-STT-year per dossier, from a gap-free sequence per commune and year

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ocop_product_sequences",
        sa.Column("province_code", sa.String(2), primary_key=True),
        sa.Column("commune_code", sa.String(5), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("ocop_dossiers") as batch:
        batch.add_column(sa.Column("product_code", sa.String(40), nullable=True))
    op.create_index("uq_ocop_dossiers_product_code", "ocop_dossiers", ["product_code"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_ocop_dossiers_product_code", table_name="ocop_dossiers")
    with op.batch_alter_table("ocop_dossiers") as batch:
        batch.drop_column("product_code")
    op.drop_table("ocop_product_sequences")
