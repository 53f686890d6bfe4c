"""one evaluation of a product at a time: a unique index on the new dossiers in evaluation

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Before this index a product could be registered twice while its first dossier was open. Such
pairs cannot be indexed: the upgrade stops and lists them, so that an officer withdraws or
rejects the duplicates (commands, with their events) before upgrading again.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATES = (
    "'registered', 'returned', 'commune_verified', 'district_scored', 'forwarded_province', "
    "'province_scored', 'forwarded_central', 'central_scored'"
)
NEW_IN_EVALUATION = sa.text(f"kind = 'new' AND state IN ({STATES})")


def upgrade() -> None:
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT product_id, COUNT(*) FROM ocop_dossiers "
                f"WHERE kind = 'new' AND state IN ({STATES}) "
                "GROUP BY product_id HAVING COUNT(*) > 1"
            )
        )
        .all()
    )
    if duplicates:
        listed = ", ".join(
            f"{UUID(str(product))} ({count} dossiers)" for product, count in duplicates
        )
        raise RuntimeError(
            "products registered more than once and still in evaluation: "
            f"{listed}; withdraw or reject the duplicates, then upgrade again"
        )
    op.create_index(
        "uq_ocop_dossiers_product_in_evaluation",
        "ocop_dossiers",
        ["product_id"],
        unique=True,
        sqlite_where=NEW_IN_EVALUATION,
        postgresql_where=NEW_IN_EVALUATION,
    )


def downgrade() -> None:
    op.drop_index("uq_ocop_dossiers_product_in_evaluation", table_name="ocop_dossiers")
